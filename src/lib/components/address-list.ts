/** Addresses as a person types them: one per line, or separated by commas, semicolons or spaces. */
export function splitAddresses(text: string): string[] {
  return text.split(/[\s,;]+/).filter((a) => a !== '');
}
