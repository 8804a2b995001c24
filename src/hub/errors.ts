import { MusicgenError } from '../errors.js';

/** Base of every error raised while talking to the Hugging Face hub or filling the hub cache. */
export class HubError extends MusicgenError {}

/** The repository id is not `owner/name`, or the revision is not a usable name. */
export class InvalidRepoIdError extends HubError {}

/** 404 for the repository (or a 401 the hub uses to hide private repos from anonymous users). */
export class RepoNotFoundError extends HubError {}

/** The repository exists but the branch, tag or commit does not. */
export class RevisionNotFoundError extends HubError {}

/** 401/403: gated or private repository, missing or refused token. */
export class HubAuthError extends HubError {}

/** The host could not be reached, or the connection broke and retries ran out. */
export class HubNetworkError extends HubError {}

/** The hub answered with something we cannot use (5xx, malformed JSON, a bad Range reply). */
export class HubResponseError extends HubError {}

/** A downloaded file's sha256 or size differs from what the hub announced; the file was deleted. */
export class ChecksumMismatchError extends HubError {}

/** The repository holds neither a MusicGen ONNX folder for the dtype nor a safetensors checkpoint. */
export class NoMusicgenFilesError extends HubError {}

/** The requested precision is not in the repository and cannot be made from it. */
export class DtypeNotAvailableError extends HubError {}

/** Another process holds the download lock of the repository for too long. */
export class CacheBusyError extends HubError {}

/** Offline (HF_HUB_OFFLINE or offline: true) and the cache does not hold what was asked for. */
export class NotInCacheError extends HubError {}
