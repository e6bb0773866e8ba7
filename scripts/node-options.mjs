// NODE_OPTIONS that let Node run the workspace straight from TypeScript sources. Child processes
// (brokers started by tests, benchmark peers) inherit them through the environment.
export function devNodeOptions() {
  const own = "--conditions=@weir/source --import=tsx --enable-source-maps";
  const inherited = process.env.NODE_OPTIONS ?? "";
  return inherited.includes("@weir/source") ? inherited : `${inherited} ${own}`.trim();
}
