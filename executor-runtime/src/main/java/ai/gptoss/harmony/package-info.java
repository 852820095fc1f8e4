/**
 * The harmony chat format of gpt-oss and its o200k_harmony tokenizer, token for token as openai/harmony.
 *
 * <ul>
 *   <li>{@link ai.gptoss.harmony.HarmonyTokens}: every special id and name (format constants in one place);
 *       stop tokens.</li>
 *   <li>{@link ai.gptoss.harmony.HarmonyTokenizer}: encode (special-token text as text, or as ids), decode
 *       (bytes joined before UTF-8 decoding).</li>
 *   <li>{@link ai.gptoss.harmony.HarmonyRenderer}: conversations ({@link ai.gptoss.harmony.Message}, or the chat
 *       form {@link ai.gptoss.harmony.ChatMessage} with {@link ai.gptoss.harmony.ChatOptions}) to prompt ids;
 *       {@link ai.gptoss.harmony.ToolSchemaRenderer} writes tools as TypeScript-like namespaces.</li>
 *   <li>{@link ai.gptoss.harmony.HarmonyParser}: completion ids to {@link ai.gptoss.harmony.ParsedMessage}s,
 *       lenient, never throwing; {@link ai.gptoss.harmony.ParseIssue} says what was wrong.</li>
 *   <li>{@link ai.gptoss.harmony.HarmonyJson}: harmony's JSON forms and the chat form, in and out.</li>
 *   <li>{@link ai.gptoss.harmony.Harmony}: the three calls a generation loop needs (prompt, stop tokens,
 *       completion).</li>
 * </ul>
 *
 * <p>Conformance: {@code HarmonyGoldenTest} (shared/golden/harmony.golden.json, from the official library) and
 * {@code TinyQaPromptTest} (150 harmony-rendered prompts of tiny-qa.eval.json re-rendered id for id).
 */
package ai.gptoss.harmony;
