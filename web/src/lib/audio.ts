/** A short two-tone chime through Web Audio (no audio file to load). Browsers keep the context
 * suspended until a user gesture, so the display offers an "enable sound" button. */
let context: AudioContext | null = null;

export function audioContext(): AudioContext {
  context ??= new AudioContext();
  return context;
}

export function soundEnabled(): boolean {
  return context?.state === "running";
}

export async function enableSound(): Promise<boolean> {
  await audioContext().resume();
  return soundEnabled();
}

export function chime(): void {
  const ctx = audioContext();
  if (ctx.state !== "running") return;
  const start = ctx.currentTime;
  [880, 660].forEach((frequency, index) => {
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    const t = start + index * 0.35;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.4, t + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start(t);
    oscillator.stop(t + 0.32);
  });
}
