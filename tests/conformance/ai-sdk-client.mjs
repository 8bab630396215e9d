// SPDX-License-Identifier: GPL-3.0-or-later
// Drives Routewise's endpoint with the Vercel AI SDK, through both of its providers that speak
// Chat Completions (@ai-sdk/openai-compatible, and @ai-sdk/openai's .chat()), and reports what
// it saw as JSON.
import { attempt, check, report } from './report.mjs';
import { generateText, streamText, tool, isStepCount, Output, embed, embedMany } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createOpenAI } from '@ai-sdk/openai';
import { z } from 'zod';

const baseURL = process.env.RW_BASE_URL;
const apiKey = process.env.RW_TOKEN;
const compatible = createOpenAICompatible({
  name: 'routewise', baseURL, apiKey, includeUsage: true, supportsStructuredOutputs: true,
});
const openai = createOpenAI({ baseURL, apiKey });

let called = [];
const tools = {
  get_weather: tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      called.push(city);
      return '18 C';
    },
  }),
};
const prompt = 'What is the weather in Paris?';

await attempt('compatible-generate', async () => {
  const r = await generateText({ model: compatible('mock/good'), prompt: 'Say hello', maxRetries: 0 });
  check('compatible-generate', r.text === 'Hello, world!' && r.finishReason === 'stop' &&
    r.usage.outputTokens === 5, JSON.stringify({ text: r.text, usage: r.usage }));
});

await attempt('compatible-stream', async () => {
  const s = streamText({ model: compatible('mock/good'), prompt: 'Say hello', maxRetries: 0 });
  let text = '';
  for await (const piece of s.textStream) text += piece;
  check('compatible-stream', text === 'Hello, world!' && (await s.usage).outputTokens === 5,
    JSON.stringify({ text, usage: await s.usage }));
});

async function toolLoop(name, model, streamed) {
  await attempt(name, async () => {
    called = [];
    let text, steps;
    if (streamed) {
      const s = streamText({ model, prompt, tools, stopWhen: isStepCount(4), maxRetries: 0 });
      text = '';
      for await (const piece of s.textStream) text += piece;
      steps = (await s.steps).length;
    } else {
      const r = await generateText({ model, prompt, tools, stopWhen: isStepCount(4), maxRetries: 0 });
      text = r.text;
      steps = r.steps.length;
    }
    check(name, text === 'It is 18 C in Paris.' && steps === 2 && called.join() === 'Paris',
      JSON.stringify({ text, steps, called }));
  });
}

await toolLoop('compatible-tool-loop', compatible('mock/agent'), false);
await toolLoop('compatible-tool-loop-stream', compatible('mock/agent'), true);
await toolLoop('compatible-tool-loop anth/agent', compatible('anth/agent'), false);
await toolLoop('compatible-tool-loop gem/agent', compatible('gem/agent'), false);
await toolLoop('compatible-tool-loop oll/agent', compatible('oll/agent'), false);
await toolLoop('openai-chat-tool-loop', openai.chat('mock/agent'), false);

// createOpenAI(...)(id) speaks the Responses API by default.
await toolLoop('openai-responses-tool-loop', openai('mock/agent'), false);
await toolLoop('openai-responses-tool-loop-stream', openai('mock/agent'), true);

await attempt('openai-responses-object', async () => {
  const r = await generateText({
    model: openai('mock/json'), prompt: 'The weather in Paris', maxRetries: 0,
    output: Output.object({ schema: z.object({ city: z.string(), temperature_c: z.number() }) }),
  });
  check('openai-responses-object', r.output?.city === 'Paris' && r.output?.temperature_c === 18,
    JSON.stringify(r.output));
});

await attempt('openai-chat-stream', async () => {
  const s = streamText({ model: openai.chat('mock/good'), prompt: 'Say hello', maxRetries: 0 });
  let text = '';
  for await (const piece of s.textStream) text += piece;
  check('openai-chat-stream', text === 'Hello, world!', text);
});

await attempt('compatible-object', async () => {
  const r = await generateText({
    model: compatible('mock/json'), prompt: 'The weather in Paris', maxRetries: 0,
    output: Output.object({ schema: z.object({ city: z.string(), temperature_c: z.number() }) }),
  });
  check('compatible-object', r.output?.city === 'Paris' && r.output?.temperature_c === 18,
    JSON.stringify(r.output));
});

// The echo model answers with the body it received upstream.
await attempt('image-reaches-upstream', async () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  const r = await generateText({
    model: compatible('mock/echo'), maxRetries: 0, seed: 3, stopSequences: ['END'],
    messages: [{ role: 'user', content: [
      { type: 'text', text: 'What is this?' },
      { type: 'file', mediaType: 'image/png', data: png }] }],
  });
  const got = JSON.parse(r.text);
  const parts = got.messages?.[0]?.content ?? [];
  check('image-reaches-upstream', parts[1]?.type === 'image_url' &&
    parts[1].image_url.url === `data:image/png;base64,${png}` && got.seed === 3 &&
    JSON.stringify(got.stop) === '["END"]', r.text);
});

await attempt('embed-many', async () => {
  // Both providers' embedding models: @ai-sdk/openai asks for floats.
  const many = await embedMany({ model: compatible.embeddingModel('mock/embed'),
    values: ['one', 'two', 'three'], maxRetries: 0 });
  const one = await embed({ model: openai.embedding('mock/embed'), value: 'one', maxRetries: 0 });
  check('embed-many', many.embeddings.length === 3 &&
    JSON.stringify(many.embeddings[2]) === '[3,0.5,-0.25]' &&
    JSON.stringify(one.embedding) === '[1,0.5,-0.25]' && many.usage.tokens > 0,
    JSON.stringify({ many, one }));
});

report();
