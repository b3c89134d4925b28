// A secret shown once: copied with a button, never stored anywhere but this component's state.
import { useState } from "react";

export function SecretOnce({ secret, onDismiss }: { secret: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(secret);
    setCopied(true);
  };
  return (
    <section className="secret" aria-labelledby="secret-title">
      <h3 id="secret-title">Copy the key now</h3>
      <p className="warning">
        This is the only time the key is shown. It is stored only as a hash: if you lose it, rotate
        the key.
      </p>
      <output className="secret-value" data-testid="secret">
        {secret}
      </output>
      <div className="row">
        <button type="button" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="secondary" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </section>
  );
}
