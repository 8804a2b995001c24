import type { FastifyInstance } from 'fastify';

/** A port `listen` accepts: 0 (any free one) to 65535. */
export function isTcpPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/**
 * Starts listening and returns the URL to print: http://host:port with the port actually bound
 * (port 0 picks one) and an IPv6 host in brackets.
 */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ port, host });
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}
