import type { LabConfig } from '../config';

/** The digits "0".."9" (or "0".."n-1"): MNIST's classes when a config names none. */
export function digitNames(numClasses = 10): string[] {
  return Array.from({ length: numClasses }, (_, i) => String(i));
}

/** The class names of a config (its `data.classNames`), else the digits. */
export function classNamesOf(config: Pick<LabConfig, 'data'> | null | undefined, numClasses = 10): string[] {
  const names = config?.data.classNames;
  return names && names.length === numClasses ? [...names] : digitNames(numClasses);
}

/** The name a config gives class `label`, or null where it has none of its own (just the digit). */
export function ownClassName(names: readonly string[] | null | undefined, label: number): string | null {
  const name = names?.[label];
  return name === undefined || name === String(label) ? null : name;
}

/** `7` for MNIST, `7 (Sneaker)` where the classes have names of their own (the CLI's form). */
export function labelText(names: readonly string[], label: number): string {
  const name = ownClassName(names, label);
  return name === null ? String(label) : `${label} (${name})`;
}

/** `7` for MNIST, `7 Sneaker` where the classes have names of their own (the panel's form). */
export function classLabel(names: readonly string[] | null | undefined, label: number): string {
  const name = ownClassName(names, label);
  return name === null ? String(label) : `${label} ${name}`;
}
