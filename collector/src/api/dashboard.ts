import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

const STATIC_EXTENSIONS = new Set([
  '.js',
  '.mjs',
  '.css',
  '.map',
  '.html',
  '.json',
  '.png',
  '.jpg',
  '.svg',
  '.ico',
  '.webp',
  '.woff',
  '.woff2',
  '.txt',
]);

/** Where the built dashboard lives unless EVENTSCOPE_DASHBOARD_DIR says otherwise. */
export const DEFAULT_DASHBOARD_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../dashboard/dist',
);

/**
 * Serves the built dashboard at / (when built) with a single-page-app fallback: a GET that is
 * not an API, OTLP, docs or metrics path and matches no file gets index.html, so deep links
 * work. Every other unknown route is a JSON 404 naming it.
 */
export const dashboardPlugin = fp<{ dir: string | undefined }>(
  async (app, opts) => {
    const dir = opts.dir ?? DEFAULT_DASHBOARD_DIR;
    const haveDashboard = existsSync(path.join(dir, 'index.html'));
    if (haveDashboard) {
      // The built files are public (auth/): they hold no data, and the sign-in screen is one of
      // them. @fastify/static names the folder of each file route it adds in config.rootPath.
      app.addHook('onRoute', (route) => {
        const rootPath = (route.config as { rootPath?: unknown } | undefined)?.rootPath;
        if (
          route.config !== undefined &&
          typeof rootPath === 'string' &&
          path.resolve(rootPath) === path.resolve(dir)
        ) {
          route.config.access = 'public';
        }
      });
      await app.register(fastifyStatic, { root: dir, wildcard: false, index: 'index.html' });
    } else {
      app.log.info({ dir }, 'no built dashboard found; serving the API only (npm run build -w dashboard)');
    }
    app.setNotFoundHandler((req, reply) => {
      const url = req.url.split('?')[0] ?? '';
      const isAppPath = !/^\/(api|v1|docs|metrics|healthz|readyz)(\/|$)/.test(url);
      // A path that names a static asset (a built file) and is missing is a real 404; any
      // other app path, including ones with dots like /dlqs/payment.dlq, is a deep link.
      const isAsset = STATIC_EXTENSIONS.has(path.extname(url).toLowerCase());
      if (haveDashboard && req.method === 'GET' && isAppPath && !isAsset) {
        return reply.sendFile('index.html');
      }
      return reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${url}` });
    });
  },
  { name: 'dashboard' },
);
