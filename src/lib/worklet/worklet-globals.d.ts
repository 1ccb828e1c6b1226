/**
 * The AudioWorkletGlobalScope has MessagePort (a processor's `port` is one), but the worklet tsconfig has
 * no DOM lib: this declares as much of it as shared protocol modules name (protocol/recording.ts, whose
 * recorder messages carry ports). Under the app's DOM lib it merges with the real declaration.
 */
interface MessagePort {
  close(): void;
}
