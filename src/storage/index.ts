// The storage layer: model sources (Hub, URL, local files), downloads into a cache, the caches
// themselves and small records. Safe for the browser bundle: node:fs is only imported lazily,
// by NodeFolderModelSource and createNodeFolderModelCache when they run. Node code that wants a
// ByteSource over a file imports './node-file-source' directly.

export * from '../util/byte-source';
export * from './errors';
export * from './model-source';
export * from './url-source';
export * from './cache';
export * from './cache-browser';
export { createNodeFolderModelCache, JsonFileRecordStore } from './cache-node';
export * from './record-store';
export * from './integrity';
export * from './download';
export * from './cached-source';
