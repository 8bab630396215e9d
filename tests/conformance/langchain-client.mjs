// SPDX-License-Identifier: GPL-3.0-or-later
// Drives Routewise's endpoint with LangChain JS's ChatOpenAI and reports what it saw as JSON.
import { attempt, check, report } from './report.mjs';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';

const configuration = { baseURL: process.env.RW_BASE_URL };
const apiKey = process.env.RW_TOKEN;
const chat = (model, options = {}) => new ChatOpenAI({ model, apiKey, configuration, maxRetries: 0,
  ...options });

const getWeather = tool(async ({ city }) => (city === 'Paris' ? '18 C' : '?'), {
  name: 'get_weather',
  description: 'The weather in a city',
  schema: z.object({ city: z.string() }),
});

await attempt('invoke', async () => {
  const r = await chat('mock/good').invoke('Say hello');
  check('invoke', r.content === 'Hello, world!' && r.usage_metadata?.output_tokens === 5,
    JSON.stringify(r));
});

await attempt('stream', async () => {
  let text = '';
  for await (const chunk of await chat('mock/good').stream('Say hello')) text += chunk.content;
  check('stream', text === 'Hello, world!', text);
});

async function loop(name, streaming, id = 'mock/agent') {
  await attempt(name, async () => {
    const model = chat(id).bindTools([getWeather]);
    // Streamed, the pieces are joined as an agent joins them.
    const ask = async (messages) => {
      if (!streaming)
        return model.invoke(messages);
      let whole;
      for await (const chunk of await model.stream(messages))
        whole = whole === undefined ? chunk : whole.concat(chunk);
      return whole;
    };
    const messages = [new HumanMessage('What is the weather in Paris?')];
    const first = await ask(messages);
    const call = first.tool_calls?.[0];
    messages.push(first);
    messages.push(new ToolMessage({ content: await getWeather.invoke(call.args),
      tool_call_id: call.id }));
    const second = await ask(messages);
    check(name, call?.name === 'get_weather' && call?.args?.city === 'Paris' &&
      (call?.id === 'call_w1' || (!id.startsWith('mock') && call?.id?.length > 0)) &&
      second.content === 'It is 18 C in Paris.',
      JSON.stringify({ first, second }));
  });
}

await loop('bind-tools-loop', false);
await loop('bind-tools-stream', true);
await loop('bind-tools-stream anth/agent', true, 'anth/agent');
await loop('bind-tools-stream gem/agent', true, 'gem/agent');
await loop('bind-tools-loop oll/agent', false, 'oll/agent');

// useResponsesApi: the same loop over POST /v1/responses.
await attempt('responses-api-loop', async () => {
  const model = chat('mock/agent', { useResponsesApi: true }).bindTools([getWeather]);
  const messages = [new HumanMessage('What is the weather in Paris?')];
  const first = await model.invoke(messages);
  const call = first.tool_calls?.[0];
  messages.push(first);
  messages.push(new ToolMessage({ content: await getWeather.invoke(call.args), tool_call_id: call.id }));
  const second = await model.invoke(messages);
  const text = typeof second.content === 'string' ? second.content
    : second.content.map((p) => p.text ?? '').join('');
  check('responses-api-loop', call?.name === 'get_weather' && call?.args?.city === 'Paris' &&
    text === 'It is 18 C in Paris.', JSON.stringify({ first, second }));
});

await attempt('structured-output', async () => {
  const model = chat('mock/json').withStructuredOutput(
    z.object({ city: z.string(), temperature_c: z.number() }), { method: 'jsonSchema', name: 'weather' });
  const r = await model.invoke('The weather in Paris');
  check('structured-output', r.city === 'Paris' && r.temperature_c === 18, JSON.stringify(r));
});

// The echo model answers with the body it received upstream.
await attempt('fields-reach-upstream', async () => {
  const r = await chat('mock/echo', { stop: ['END'], topP: 0.5, frequencyPenalty: 0.5 })
    .invoke('Echo', { seed: 9 });
  const got = JSON.parse(r.content);
  check('fields-reach-upstream', JSON.stringify(got.stop) === '["END"]' && got.top_p === 0.5 &&
    got.seed === 9 && got.frequency_penalty === 0.5, r.content);
});

await attempt('embeddings', async () => {
  // OpenAIEmbeddings, as a retriever uses it: documents in a batch, then the query.
  const embeddings = new OpenAIEmbeddings({ model: 'mock/embed', apiKey, configuration,
    maxRetries: 0 });
  const docs = await embeddings.embedDocuments(['one', 'two']);
  const query = await embeddings.embedQuery('one');
  check('embeddings', docs.length === 2 && JSON.stringify(Array.from(docs[1])) === '[2,0.5,-0.25]' &&
    JSON.stringify(Array.from(query)) === '[1,0.5,-0.25]', JSON.stringify({ docs, query }));
});

report();
