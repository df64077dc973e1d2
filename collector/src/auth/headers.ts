/**
 * Security headers on every answer of the main port (@fastify/helmet): a Content-Security-
 * Policy the dashboard passes (its Vite build loads only its own scripts and styles), no
 * framing, nosniff, no referrer. Swagger UI at /docs gets its own policy (inline script and
 * style hashes from @fastify/swagger-ui), see `swaggerUiCsp`.
 */
import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/** The dashboard's policy: only this origin's scripts, styles, images and API. */
export const DASHBOARD_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

export const securityHeaders = fp(
  async (app) => {
    await app.register(helmet, {
      global: true,
      // useDefaults off: helmet's default adds upgrade-insecure-requests, which breaks the
      // dashboard served over plain http on a LAN address (every subresource goes to https).
      contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP },
      // Strict-Transport-Security is the TLS terminator's to set (it knows the domain's subdomains).
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    });
  },
  { name: 'security-headers' },
);

/**
 * Options for @fastify/swagger-ui: its own static CSP (the hashes of its inline script and
 * style), tightened: no framing, no upgrade-insecure-requests (plain http on a LAN address),
 * no third-party validator badge.
 */
export const swaggerUiCsp = {
  staticCSP: true,
  transformStaticCSP: (header: string): string =>
    header
      .split(';')
      .map((d) => d.trim())
      .filter((d) => d !== '' && d !== 'upgrade-insecure-requests')
      .map((d) =>
        d.startsWith('frame-ancestors')
          ? "frame-ancestors 'none'"
          : // Swagger UI's React code sets a style attribute Chromium blocks under style-src 'self'
            // (seen in the browser test); styles cannot run code, scripts stay hash-only.
            d.startsWith('style-src ')
            ? "style-src 'self' 'unsafe-inline'"
            : d.replace(/\s+validator\.swagger\.io/, '').replace(/\s+https:(?=\s|$)/g, ''),
      )
      .join('; '),
} as const;
