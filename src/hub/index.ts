export { DEFAULT_HUB_ENDPOINT, hubEndpoint, hubToken } from './endpoint.js';
export {
  CacheBusyError,
  ChecksumMismatchError,
  DtypeNotAvailableError,
  HubAuthError,
  HubError,
  HubNetworkError,
  HubResponseError,
  InvalidRepoIdError,
  NoMusicgenFilesError,
  NotInCacheError,
  RepoNotFoundError,
  RevisionNotFoundError,
} from './errors.js';
export { fetchModel, type DownloadProgress, type FetchedModel, type FetchModelOptions } from './fetchModel.js';
export { HubClient, type HubClientOptions, type RepoFileEntry, type RevisionInfo } from './hubClient.js';
export { loadPretrained, loadPretrainedWithInfo, type PretrainedOptions } from './loadPretrained.js';
export { planDownload, type DownloadPlan } from './downloadPlan.js';
export { parseRepoRef, type RepoRef } from './repoId.js';
