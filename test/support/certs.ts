// The tests make certificates with the same code as `raftkv dev --tls` (src/cli/cert-files.ts).
export { makeCa, makeCert, type CertFiles, type CertOptions } from '../../src/cli/cert-files.js';
