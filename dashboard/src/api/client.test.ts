import { describe, expect, it, vi } from 'vitest';
import { ApiError, apiGet, apiPost, errorFromResponse, qs } from './client.ts';

describe('errorFromResponse', () => {
  it("keeps the collector's code and message", () => {
    const e = errorFromResponse(
      404,
      'Not Found',
      { error: 'NOT_FOUND', message: 'no event with id x' },
      '/api/events/x',
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'no event with id x', retryable: false });
  });

  it('honours retryable from the body and defaults it for 5xx', () => {
    expect(
      errorFromResponse(503, '', { error: 'KAFKA_UNAVAILABLE', message: 'm', retryable: true }, '/').retryable,
    ).toBe(true);
    expect(errorFromResponse(500, '', { error: 'INTERNAL', message: 'm' }, '/').retryable).toBe(true);
  });

  it('explains a proxy error for a collector that is down', () => {
    const e = errorFromResponse(502, 'Bad Gateway', '<html>proxy error</html>', '/api/groups');
    expect(e.message).toContain('The collector did not answer (502 Bad Gateway)');
    expect(e.message).toContain('npm start');
  });

  it('names the status and path for other non-JSON answers', () => {
    expect(errorFromResponse(418, "I'm a teapot", 'tea', '/api/x').message).toBe(
      "The collector answered 418 I'm a teapot for /api/x.",
    );
  });
});

describe('apiGet / apiPost', () => {
  it('parses JSON and throws ApiError on error bodies', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) =>
        Promise.resolve(
          url === '/ok'
            ? new Response('{"a":1}', { status: 200 })
            : new Response('{"error":"BAD_REQUEST","message":"bad id"}', { status: 400 }),
        ),
      ),
    );
    await expect(apiGet('/ok')).resolves.toEqual({ a: 1 });
    await expect(apiGet('/bad')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'bad id', status: 400 });
  });

  it('turns a network failure into a message that says what to do', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    await expect(apiGet('/api/groups')).rejects.toMatchObject({ code: 'NETWORK', status: 0 });
    await expect(apiGet('/api/groups')).rejects.toThrow(/Cannot reach the collector/);
  });

  it('posts JSON', async () => {
    const fetch = vi.fn(() => Promise.resolve(new Response('{"topic":"t","markTime":1}', { status: 200 })));
    vi.stubGlobal('fetch', fetch);
    await expect(apiPost('/api/dlqs/t/mark')).resolves.toEqual({ topic: 't', markTime: 1 });
    expect(fetch).toHaveBeenCalledWith('/api/dlqs/t/mark', expect.objectContaining({ method: 'POST', body: '{}' }));
  });
});

describe('qs', () => {
  it('skips empty values and encodes the rest', () => {
    expect(qs({ a: 1, b: '', c: null, d: undefined, e: 'x y' })).toBe('?a=1&e=x+y');
    expect(qs({})).toBe('');
  });
});
