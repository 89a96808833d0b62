// The page's entry: the Content-Security-Policy goes in before any of the app is loaded or run, so
// every request the app and its engine worker make is held to it (privacy.ts).
import { applyContentSecurityPolicy } from './privacy';

// Only the dev server (the one with hot reload) injects <style> elements; a build never does.
applyContentSecurityPolicy(document, { dev: import.meta.hot !== undefined });
await import('./main');
