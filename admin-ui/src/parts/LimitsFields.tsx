import { Limits } from "../api";

const FIELDS: { name: keyof Limits; label: string }[] = [
  { name: "rate_per_sec", label: "Rate per second" },
  { name: "burst", label: "Burst" },
  { name: "concurrency", label: "Concurrency" },
  { name: "daily_quota", label: "Daily quota" },
];

/** The four limit inputs; empty means "the deployment's default". */
export function LimitsFields({ limits }: { limits?: Limits }) {
  return (
    <>
      {FIELDS.map(({ name, label }) => (
        <label key={name}>
          {label}
          <input name={name} type="number" min={1} defaultValue={limits?.[name] ?? ""} />
        </label>
      ))}
    </>
  );
}

/** The limits a form holds (unset fields left out). */
export function limitsFrom(form: FormData): Limits {
  const limits: Limits = {};
  for (const { name } of FIELDS) {
    const value = String(form.get(name) ?? "").trim();
    if (value !== "") limits[name] = Number(value);
  }
  return limits;
}
