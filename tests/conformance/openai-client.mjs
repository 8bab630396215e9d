// SPDX-License-Identifier: GPL-3.0-or-later
// Drives Routewise's endpoint with the official OpenAI SDK and reports what it saw as JSON.
import OpenAI from 'openai';

const baseURL = process.env.RW_BASE_URL;
const apiKey = process.env.RW_TOKEN;
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20000 });
const messages = [{ role: 'user', content: 'Say hello' }];
const results = [];

function check(name, ok, detail) {
  results.push({ name, ok: !!ok, detail: ok ? undefined : detail });
}

async function attempt(name, fn) {
  try {
    await fn();
  } catch (e) {
    check(name, false, `threw ${e?.constructor?.name}: ${e?.message}`);
  }
}

await attempt('non-stream', async () => {
  const r = await client.chat.completions.create({ model: 'mock/good', messages });
  check('non-stream',
    r.object === 'chat.completion' && r.choices[0].message.role === 'assistant' &&
    r.choices[0].message.content === 'Hello, world!' && r.choices[0].finish_reason === 'stop' &&
    r.usage.prompt_tokens === 11 && r.usage.completion_tokens === 5 && r.model === 'mock/good',
    JSON.stringify(r));
});

await attempt('stream', async () => {
  const stream = await client.chat.completions.create({
    model: 'mock/good', messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '', finish = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  check('stream', text === 'Hello, world!' && finish === 'stop' && usage?.completion_tokens === 5 &&
    chunks >= 4, JSON.stringify({ text, finish, usage, chunks }));
});

await attempt('models', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  check('models', ids.includes('routewise/auto') && ids.includes('mock/good'), JSON.stringify(ids));
});

await attempt('models-retrieve', async () => {
  const m = await client.models.retrieve('mock/good');
  const auto = await client.models.retrieve('routewise/auto');
  let missing = null;
  try {
    await client.models.retrieve('nobody/nothing');
  } catch (e) {
    missing = e;
  }
  check('models-retrieve', m.id === 'mock/good' && m.object === 'model' && m.owned_by === 'mock' &&
    auto.id === 'routewise/auto' && missing instanceof OpenAI.NotFoundError,
    JSON.stringify({ m, auto, missing: `${missing?.constructor?.name} ${missing?.status}` }));
});

await attempt('auth-failure', async () => {
  const wrong = new OpenAI({ baseURL, apiKey: 'not-the-token', maxRetries: 0 });
  try {
    await wrong.chat.completions.create({ model: 'mock/good', messages });
    check('auth-failure', false, 'no error');
  } catch (e) {
    check('auth-failure', e instanceof OpenAI.AuthenticationError && e.status === 401 &&
      e.code === 'invalid_api_key', `${e?.constructor?.name} ${e?.status} ${e?.code}`);
  }
});

await attempt('fallback', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'mock/failing', messages }).withResponse();
  check('fallback', data.choices[0].message.content === 'Hello, world!' &&
    data.model === 'mock/good' && response.headers.get('x-routewise-model') === 'mock/good',
    JSON.stringify({ model: data.model, header: response.headers.get('x-routewise-model') }));
});

await attempt('stream-fallback', async () => {
  const stream = await client.chat.completions.create({ model: 'mock/failing', messages, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  check('stream-fallback', text === 'Hello, world!', text);
});

await attempt('stream-broken', async () => {
  const stream = await client.chat.completions.create({ model: 'mock/breaks', messages, stream: true });
  let text = '';
  try {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    check('stream-broken', false, `finished cleanly with ${JSON.stringify(text)}`);
  } catch (e) {
    check('stream-broken', e instanceof OpenAI.APIError && text === 'Hel', `${e?.constructor?.name}: ${text}`);
  }
});

await attempt('unknown-model', async () => {
  try {
    await client.chat.completions.create({ model: 'nobody/nothing', messages });
    check('unknown-model', false, 'no error');
  } catch (e) {
    check('unknown-model', e instanceof OpenAI.NotFoundError && e.status === 404, `${e?.status}`);
  }
});

await attempt('bad-request', async () => {
  try {
    await client.chat.completions.create({ model: 'mock/good', messages: [] });
    check('bad-request', false, 'no error');
  } catch (e) {
    check('bad-request', e instanceof OpenAI.BadRequestError && e.status === 400, `${e?.status}`);
  }
});

console.log(JSON.stringify(results));
process.exit(results.every((r) => r.ok) ? 0 : 1);
