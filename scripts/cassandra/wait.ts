/**
 * Readiness probe for scripts/cassandra.sh: succeeds once a real CQL query
 * (`SELECT release_version FROM system.local`) returns through cassandra-driver.
 * Usage: bun scripts/cassandra/wait.ts <host> <port> <timeoutSeconds> [pidToWatch]
 * Exit 0 = ready (prints the release version), 1 = timed out, 2 = watched pid died.
 */
import cassandra from "cassandra-driver";

const [host = "127.0.0.1", portStr = "9042", timeoutStr = "120", pidStr] = process.argv.slice(2);
const port = Number(portStr);
const deadline = Date.now() + Number(timeoutStr) * 1000;
const pid = pidStr ? Number(pidStr) : 0;

function alive(p: number): boolean {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
}

async function probe(): Promise<string> {
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: "datacenter1",
    socketOptions: { connectTimeout: 2000, readTimeout: 4000 },
    pooling: { warmup: false },
  });
  try {
    await client.connect();
    const rs = await client.execute("SELECT release_version FROM system.local");
    return String(rs.first()?.get("release_version") ?? "unknown");
  } finally {
    await client.shutdown().catch(() => {});
  }
}

let lastErr = "";
while (Date.now() < deadline) {
  if (pid && !alive(pid)) {
    console.error(`cassandra process ${pid} exited`);
    process.exit(2);
  }
  try {
    const version = await probe();
    console.log(version);
    process.exit(0);
  } catch (err) {
    lastErr = err instanceof Error ? err.message : String(err);
    await new Promise((r) => setTimeout(r, 500));
  }
}
console.error(`timed out waiting for CQL on ${host}:${port}: ${lastErr}`);
process.exit(1);
