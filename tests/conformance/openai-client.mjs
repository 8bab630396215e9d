// SPDX-License-Identifier: GPL-3.0-or-later
// Drives Routewise's endpoint with the official OpenAI SDK and reports what it saw as JSON.
// RW_OPENAI_MODULE names the package: "openai" (4.x) or "openai-current" (the current major).
import { attempt, check, report } from './report.mjs';
const OpenAI = (await import(process.env.RW_OPENAI_MODULE ?? 'openai')).default;

const baseURL = process.env.RW_BASE_URL;
const apiKey = process.env.RW_TOKEN;
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20000 });
const messages = [{ role: 'user', content: 'Say hello' }];

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
    // The SDK reads the member the error is about from error.param.
    check('bad-request', e instanceof OpenAI.BadRequestError && e.status === 400 &&
      e.param === 'messages', `${e?.status} ${e?.param}`);
  }
});

// A two-step tool loop: the model calls get_weather, we answer the call, the model answers.
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];
const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];

// The mock's OpenAI agent names its call; a call from Gemini or Ollama gets an id made for it.
const idOk = (model, id) => id === 'call_w1' || (!model.startsWith('mock') && id?.length > 0);

async function toolLoop(name, model) {
  await attempt(name, async () => {
    const first = await client.chat.completions.create({ model, messages: ask, tools });
    const call = first.choices[0].message.tool_calls?.[0];
    const args = JSON.parse(call?.function?.arguments ?? 'null');
    const second = await client.chat.completions.create({
      model, tools,
      messages: [...ask, first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: '18 C' }],
    });
    check(name, first.choices[0].finish_reason === 'tool_calls' && idOk(model, call.id) &&
      call.type === 'function' && call.function.name === 'get_weather' && args?.city === 'Paris' &&
      second.choices[0].message.content === 'It is 18 C in Paris.',
      JSON.stringify({ first, second }));
  });
}

async function toolLoopStream(name, model) {
  await attempt(name, async () => {
    const stream = await client.chat.completions.create({
      model, messages: ask, tools, stream: true,
    });
    const calls = [];
    let finish = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const d of choice?.delta?.tool_calls ?? []) {
        calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (d.id) calls[d.index].id = d.id;
        if (d.function?.name) calls[d.index].function.name += d.function.name;
        if (d.function?.arguments) calls[d.index].function.arguments += d.function.arguments;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    const again = await client.chat.completions.create({
      model, tools, stream: true,
      messages: [...ask, { role: 'assistant', content: null, tool_calls: calls },
        { role: 'tool', tool_call_id: calls[0]?.id, content: '18 C' }],
    });
    let text = '';
    for await (const chunk of again) text += chunk.choices[0]?.delta?.content ?? '';
    check(name, finish === 'tool_calls' && calls.length === 1 &&
      idOk(model, calls[0].id) && calls[0].function.name === 'get_weather' &&
      JSON.parse(calls[0].function.arguments).city === 'Paris' && text === 'It is 18 C in Paris.',
      JSON.stringify({ calls, finish, text }));
  });
}

// The same loops through a model that speaks another protocol upstream.
for (const model of ['mock/agent', 'anth/agent', 'gem/agent', 'oll/agent']) {
  const suffix = model === 'mock/agent' ? '' : ` ${model}`;
  await toolLoop(`tool-loop${suffix}`, model);
  await toolLoopStream(`tool-loop-stream${suffix}`, model);
}

// The SDK's own agent loop: it calls our function and sends the result back.
await attempt('run-tools', async () => {
  const completions = client.chat.completions.runTools ? client.chat.completions
    : client.beta.chat.completions;
  let called = null;
  const runner = completions.runTools({
    model: 'mock/agent', messages: ask,
    tools: [{
      type: 'function',
      function: {
        name: 'get_weather', parameters: tools[0].function.parameters,
        parse: JSON.parse,
        function: (args) => { called = args; return '18 C'; },
      },
    }],
  });
  const content = await runner.finalContent();
  check('run-tools', called?.city === 'Paris' && content === 'It is 18 C in Paris.',
    JSON.stringify({ called, content }));
});

await attempt('json-schema', async () => {
  const r = await client.chat.completions.create({
    model: 'mock/json', messages: [{ role: 'user', content: 'Weather in Paris as JSON' }],
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: 'weather', strict: true,
        schema: {
          type: 'object', additionalProperties: false, required: ['city', 'temperature_c'],
          properties: { city: { type: 'string' }, temperature_c: { type: 'number' } },
        },
      },
    },
  });
  const parsed = JSON.parse(r.choices[0].message.content);
  check('json-schema', parsed.city === 'Paris' && parsed.temperature_c === 18, JSON.stringify(r));
});

await attempt('n-2', async () => {
  const r = await client.chat.completions.create({ model: 'mock/two', messages, n: 2 });
  check('n-2', r.choices.length === 2 && r.choices[0].message.content === 'One' &&
    r.choices[1].index === 1 && r.choices[1].message.content === 'Two', JSON.stringify(r));
});

// The echo model answers with the body it received upstream.
async function echo(body) {
  const r = await client.chat.completions.create({ model: 'mock/echo', ...body });
  return JSON.parse(r.choices[0].message.content);
}

await attempt('fields-reach-upstream', async () => {
  const sent = {
    messages, stop: ['END'], seed: 7, top_p: 0.5, presence_penalty: 0.25, frequency_penalty: 0.5,
    logit_bias: { '42': -10 }, user: 'u-1', parallel_tool_calls: false, tools,
    tool_choice: 'auto', response_format: { type: 'json_object' }, max_completion_tokens: 64,
  };
  const got = await echo(sent);
  const same = Object.keys(sent).filter((k) => k !== 'messages')
    .every((k) => JSON.stringify(got[k]) === JSON.stringify(sent[k]));
  check('fields-reach-upstream', same && got.model === 'echo' && got.max_tokens === undefined,
    JSON.stringify(got));
});

await attempt('image-reaches-upstream', async () => {
  const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };
  const got = await echo({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, image] }],
  });
  check('image-reaches-upstream',
    JSON.stringify(got.messages?.[0]?.content?.[1]) === JSON.stringify(image), JSON.stringify(got));
});

// The Responses API: text, streamed with its event types, and a function tool loop (by
// previous_response_id, and streamed with the whole conversation sent back).
await attempt('responses', async () => {
  const r = await client.responses.create({
    model: 'mock/good', input: 'Say hello', instructions: 'Be brief.',
  });
  check('responses', r.object === 'response' && r.status === 'completed' &&
    r.output_text === 'Hello, world!' && r.usage.output_tokens === 5 && r.model === 'mock/good',
    JSON.stringify(r));
});

await attempt('responses-stream', async () => {
  const stream = await client.responses.create({ model: 'mock/good', input: 'Say hello', stream: true });
  let text = '', completed = null;
  const types = [];
  for await (const e of stream) {
    types.push(e.type);
    if (e.type === 'response.output_text.delta') text += e.delta;
    if (e.type === 'response.completed') completed = e.response;
  }
  check('responses-stream', text === 'Hello, world!' && types[0] === 'response.created' &&
    types.includes('response.output_item.added') && types.includes('response.output_text.done') &&
    completed?.output?.[0]?.content?.[0]?.text === 'Hello, world!',
    JSON.stringify({ text, types, completed }));
});

const fnTools = [{
  type: 'function', name: 'get_weather', description: 'The weather in a city', strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];

await attempt('responses-tool-loop', async () => {
  const first = await client.responses.create({
    model: 'mock/agent', input: 'What is the weather in Paris?', tools: fnTools,
  });
  const call = first.output.find((o) => o.type === 'function_call');
  const second = await client.responses.create({
    model: 'mock/agent', previous_response_id: first.id, tools: fnTools,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '18 C' }],
  });
  check('responses-tool-loop', call?.name === 'get_weather' &&
    JSON.parse(call.arguments).city === 'Paris' && call.call_id === 'call_w1' &&
    second.output_text === 'It is 18 C in Paris.' && second.previous_response_id === first.id,
    JSON.stringify({ first, second }));
});

await attempt('responses-tool-loop-stream', async () => {
  const input = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const stream = await client.responses.create({
    model: 'mock/agent', input, tools: fnTools, stream: true, store: false,
  });
  let call = null, args = '';
  for await (const e of stream) {
    if (e.type === 'response.function_call_arguments.delta') args += e.delta;
    if (e.type === 'response.output_item.done' && e.item.type === 'function_call') call = e.item;
  }
  const again = await client.responses.create({
    model: 'mock/agent', tools: fnTools, stream: true,
    input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: '18 C' }],
  });
  let text = '';
  for await (const e of again) if (e.type === 'response.output_text.delta') text += e.delta;
  check('responses-tool-loop-stream', call?.name === 'get_weather' && args === call.arguments &&
    JSON.parse(args).city === 'Paris' && text === 'It is 18 C in Paris.',
    JSON.stringify({ call, args, text }));
});

await attempt('embeddings', async () => {
  // The SDK asks for base64 unless told otherwise, and decodes it; then floats, as asked.
  const b = await client.embeddings.create({ model: 'mock/embed', input: ['one', 'two'] });
  const f = await client.embeddings.create({
    model: 'mock/embed', input: 'one', encoding_format: 'float', dimensions: 3,
  });
  check('embeddings', b.data.length === 2 && b.model === 'embed' &&
    JSON.stringify(Array.from(b.data[1].embedding)) === '[2,0.5,-0.25]' &&
    b.usage.prompt_tokens > 0 && f.data.length === 1 &&
    JSON.stringify(f.data[0].embedding) === '[1,0.5,-0.25]', JSON.stringify({ b, f }));
});

report();
