import { InvalidRepoIdError } from './errors.js';

/** A model repository on the hub: `owner/name` at a revision (branch, tag or commit). */
export interface RepoRef {
  owner: string;
  name: string;
  revision: string;
}

// The hub's own rules: letters, digits, '-', '_', '.', not starting with '.' (so never '..').
const PART = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function parseRepoRef(repoId: string, revision = 'main'): RepoRef {
  const parts = repoId.split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p))) {
    throw new InvalidRepoIdError(`"${repoId}" is not a hub model id; expected owner/name, e.g. Xenova/musicgen-small`);
  }
  // Revisions may hold '/' (refs/pr/1); they become cache folder names.
  const segments = revision.split('/');
  // Segments may not start with '.', which also keeps them apart from the cache's own dot folders.
  if (!revision || segments.some((s) => !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(s))) {
    throw new InvalidRepoIdError(`"${revision}" is not a usable revision; give a branch, tag or commit sha`);
  }
  return { owner: parts[0], name: parts[1], revision };
}

export function repoIdOf(ref: RepoRef): string {
  return `${ref.owner}/${ref.name}`;
}

/** True when the revision is a full commit sha: its content can never change. */
export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

/** `owner--name`, as the hub's own cache names repository folders. */
export function repoFolderName(ref: RepoRef): string {
  return `${ref.owner}--${ref.name}`;
}

/** One folder per revision; '/' in refs/pr/N becomes '--' so every revision is a single folder. */
export function revisionFolderName(revision: string): string {
  return revision.split('/').join('--');
}
