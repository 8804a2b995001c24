/** The public hub; HF_ENDPOINT points elsewhere (a mirror, or a local server in tests). */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** HF_ENDPOINT, else https://huggingface.co, without a trailing slash. */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/** HF_TOKEN when set and non-empty. */
export function hubToken(): string | null {
  const token = process.env.HF_TOKEN?.trim();
  return token ? token : null;
}
