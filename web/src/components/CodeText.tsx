// Text from the API (event descriptions) with `backticked` words shown as code.
export function CodeText({ text }: { text: string }) {
  const parts = text.split('`');
  return (
    <>
      {parts.map((part, i) => (i % 2 === 1 ? <code key={i} class="mono">{part}</code> : part))}
    </>
  );
}
