/** "pkg.Service.Method" or "pkg.Service/Method" → "/pkg.Service/Method". */
export function normalizeProcedure(name: string): string {
  if (name.startsWith("/")) return name;
  if (name.includes("/")) return `/${name}`;
  const dot = name.lastIndexOf(".");
  return `/${name.slice(0, dot)}/${name.slice(dot + 1)}`;
}
