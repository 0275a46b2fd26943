// The backend a spec run is for, known when the spec files are loaded (before tf.setBackend):
// TFJS_BACKEND in Node, karma's client config in the browser.
declare const __karma__: {config: {backend?: string}} | undefined;
declare const process: {env: Record<string, string | undefined>} | undefined;

export function specBackend(): string {
  if (typeof __karma__ !== 'undefined') return __karma__.config.backend || 'webgl';
  return (typeof process !== 'undefined' && process.env.TFJS_BACKEND) || 'cpu';
}
