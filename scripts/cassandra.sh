#!/usr/bin/env bash
# Magpie dev/CI Cassandra: one Apache Cassandra 5.0 node as a plain JVM process (no Docker).
#
#   scripts/cassandra.sh start    start (or reuse) the node on 127.0.0.1:9042, wait for CQL
#   scripts/cassandra.sh stop     stop the node started by this script
#   scripts/cassandra.sh status   report whether the node runs and answers CQL
#
# Everything lives under $REPO/.magpie/cassandra/ (conf, data, logs, pid). Jars come from Maven
# Central (org.apache.cassandra:cassandra-all via scripts/cassandra/pom.xml) into a cache outside
# the repo ($MAGPIE_CASSANDRA_CACHE, default ~/.cache/magpie/cassandra-5.0.8/lib).
# Env: MAGPIE_CASSANDRA_HOST (127.0.0.1), MAGPIE_CASSANDRA_PORT (9042),
#      MAGPIE_CASSANDRA_HEAP (1G), MAGPIE_CASSANDRA_START_TIMEOUT (180 seconds).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="$REPO/scripts/cassandra"
VERSION="5.0.8"
CACHE="${MAGPIE_CASSANDRA_CACHE:-$HOME/.cache/magpie/cassandra-$VERSION/lib}"
NODE_DIR="$REPO/.magpie/cassandra"
PID_FILE="$NODE_DIR/cassandra.pid"
LOG_DIR="$NODE_DIR/logs"
CONF_DIR="$NODE_DIR/conf"
HOST="${MAGPIE_CASSANDRA_HOST:-127.0.0.1}"
PORT="${MAGPIE_CASSANDRA_PORT:-9042}"
HEAP="${MAGPIE_CASSANDRA_HEAP:-1G}"
TIMEOUT="${MAGPIE_CASSANDRA_START_TIMEOUT:-180}"

say() { echo "cassandra: $*"; }
die() { echo "cassandra: ERROR: $*" >&2; exit 1; }

now_ms() { date +%s%3N; }

bun_bin() {
  if [[ -x "$REPO/node_modules/.bin/bun" ]]; then echo "$REPO/node_modules/.bin/bun"
  elif command -v bun >/dev/null 2>&1; then command -v bun
  else die "bun not found (run npm install in $REPO)"; fi
}

# PID of our node if it is alive and really is a CassandraDaemon, else empty.
node_pid() {
  [[ -f "$PID_FILE" ]] || return 0
  local pid; pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q CassandraDaemon; then
    echo "$pid"
  fi
}

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
  fi
}

# Real CQL readiness probe through cassandra-driver. $1 = timeout seconds, $2 = pid to watch.
probe() { "$(bun_bin)" "$ASSETS/wait.ts" "$HOST" "$PORT" "$1" "${2:-}"; }

log_tail() {
  local sys="$LOG_DIR/system.log" out="$LOG_DIR/stdout.log"
  if [[ -s "$sys" ]]; then
    echo "---- last 30 lines of $sys ----" >&2
    tail -n 30 "$sys" | cut -c1-400 >&2
  fi
  # JVM-level failures (bad flags, missing class) only reach stdout.log.
  if [[ -s "$out" ]] && { [[ ! -s "$sys" ]] || grep -qvE '^(INFO|WARN|ERROR|DEBUG|[[:space:]]|java\.|Caused by|\.\.\.)' "$out"; }; then
    echo "---- last 20 lines of $out ----" >&2
    tail -n 20 "$out" | cut -c1-400 >&2
  fi
}

ensure_java() {
  command -v java >/dev/null 2>&1 || die "java not found: install a JDK 17 (e.g. apt-get install openjdk-17-jre-headless)"
  local v; v="$(java -version 2>&1 | head -n1 | sed -E 's/.*version "([0-9]+).*/\1/')"
  [[ "$v" =~ ^[0-9]+$ ]] || die "cannot parse java version: $(java -version 2>&1 | head -n1)"
  (( v >= 17 )) || die "java $v found; Cassandra 5.0 here needs JDK 17 or newer"
}

ensure_jars() {
  if [[ -f "$CACHE/cassandra-all-$VERSION.jar" && -f "$CACHE/jamm-0.4.0.jar" && -f "$CACHE/snakeyaml-2.1.jar" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "jar cache $CACHE is empty and Maven (mvn) is not installed"
  say "resolving cassandra-all $VERSION from Maven Central into $CACHE (first run only) ..."
  mkdir -p "$CACHE"
  local t0; t0=$(now_ms)
  # Maven prints harmless ERROR lines about system-scoped JMC/VisualVM artifacts; judge by result.
  if ! (cd "$ASSETS" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$CACHE" -DincludeScope=runtime) \
      >"$NODE_DIR/maven.log" 2>&1 || [[ ! -f "$CACHE/cassandra-all-$VERSION.jar" ]]; then
    tail -n 30 "$NODE_DIR/maven.log" >&2 || true
    die "Maven could not resolve org.apache.cassandra:cassandra-all:$VERSION (is Maven Central reachable? full log: $NODE_DIR/maven.log)"
  fi
  [[ -f "$CACHE/jamm-0.4.0.jar" ]] || die "jamm-0.4.0.jar missing from $CACHE after Maven resolve"
  say "jars resolved in $(( ($(now_ms) - t0) / 1000 ))s"
}

render_conf() {
  mkdir -p "$CONF_DIR" "$LOG_DIR" "$NODE_DIR/data"
  sed -e "s#@@DIR@@#$NODE_DIR#g" -e "s#@@HOST@@#$HOST#g" -e "s#@@PORT@@#$PORT#g" \
    "$ASSETS/cassandra.yaml.tmpl" >"$CONF_DIR/cassandra.yaml"
  cp "$ASSETS/logback.xml" "$CONF_DIR/logback.xml"
}

jvm_flags() {
  local opens=(java.lang.module jdk.internal.loader jdk.internal.ref jdk.internal.reflect jdk.internal.math
    jdk.internal.module jdk.internal.util.jar sun.nio.ch java.io java.lang.reflect java.lang java.util java.nio)
  local exports=(java.base/jdk.internal.misc java.management.rmi/com.sun.jmx.remote.internal.rmi
    java.rmi/sun.rmi.registry java.rmi/sun.rmi.server java.sql/java.sql java.base/java.lang.ref
    jdk.unsupported/sun.misc jdk.compiler/com.sun.tools.javac.file jdk.attach/sun.tools.attach
    java.management/com.sun.jmx.remote.security)
  local f=(-Xms"$HEAP" -Xmx"$HEAP" -Xss256k
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxGCPauseMillis=300 -XX:+AlwaysPreTouch
    -XX:+HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError -XX:HeapDumpPath="$LOG_DIR"
    -Djdk.attach.allowAttachSelf=true -Dio.netty.tryReflectionSetAccessible=true
    -javaagent:"$CACHE/jamm-0.4.0.jar"
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED)
  local p; for p in "${opens[@]}"; do f+=(--add-opens "java.base/$p=ALL-UNNAMED"); done
  for p in "${exports[@]}"; do f+=(--add-exports "$p=ALL-UNNAMED"); done
  f+=(-Dcassandra.config="file://$CONF_DIR/cassandra.yaml"
    -Dlogback.configurationFile="$CONF_DIR/logback.xml"
    -Dcassandra.logdir="$LOG_DIR" -Dcassandra.storagedir="$NODE_DIR/data"
    -Dcassandra-foreground=yes -Dcassandra.jmx.local.port="${MAGPIE_CASSANDRA_JMX_PORT:-7199}"
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.initial_token=0
    -Dcassandra.ring_delay_ms=0 -Dcassandra.load_ring_state=true
    -Dcassandra.superuser_setup_delay_ms=0)
  printf '%s\n' "${f[@]}"
}

cmd_start() {
  mkdir -p "$NODE_DIR"
  local pid; pid="$(node_pid)"
  if [[ -n "$pid" ]]; then
    if probe 30 "$pid" >/dev/null 2>&1; then
      say "already running (pid $pid) and answering CQL on $HOST:$PORT — reusing it"
      return 0
    fi
    say "node pid $pid is running but not answering CQL yet; waiting up to ${TIMEOUT}s"
    local t0; t0=$(now_ms)
    if probe "$TIMEOUT" "$pid" >/dev/null; then say "ready after $(( ($(now_ms) - t0) ))ms"; return 0; fi
    log_tail; die "node pid $pid does not answer CQL (stop it with: scripts/cassandra.sh stop)"
  fi
  rm -f "$PID_FILE"
  # A healthy node started elsewhere (another checkout, a service) answering CQL here is reused.
  if port_in_use "$PORT" && probe 10 >/dev/null 2>&1; then
    say "a Cassandra node not started from this checkout answers CQL on $HOST:$PORT — reusing it"
    return 0
  fi
  ensure_java
  local p jmx="${MAGPIE_CASSANDRA_JMX_PORT:-7199}"
  for p in "$PORT" 7000 "$jmx"; do
    if port_in_use "$p"; then
      die "port $p is already taken by another process (not a node started by this script; CQL=$PORT, storage=7000, JMX=$jmx): $(ss -ltnpH "sport = :$p" 2>/dev/null | head -n1)"
    fi
  done
  ensure_jars
  render_conf
  local mode="warm"
  [[ -d "$NODE_DIR/data/data/system" ]] || mode="cold"
  local flags=(); mapfile -t flags < <(jvm_flags)
  local t0; t0=$(now_ms)
  : >"$LOG_DIR/stdout.log"
  # setsid: the node outlives this shell and its process group (CI steps, test runners).
  setsid java "${flags[@]}" -cp "$CONF_DIR:$CACHE/*" org.apache.cassandra.service.CassandraDaemon \
    >>"$LOG_DIR/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  say "starting node (pid $pid, $mode start, data in $NODE_DIR/data) ..."
  local rc=0; local version; version="$(probe "$TIMEOUT" "$pid")" || rc=$?
  local ms=$(( $(now_ms) - t0 ))
  if (( rc == 0 )); then
    say "ready: Cassandra $version on $HOST:$PORT (pid $pid) — $mode start took $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"
    echo "$(date -u +%FT%TZ) $mode ${ms}ms" >>"$NODE_DIR/start-times.log"
    return 0
  fi
  if (( rc == 2 )); then
    log_tail; rm -f "$PID_FILE"; die "node died during start-up after ${ms}ms (logs: $LOG_DIR)"
  fi
  log_tail; die "node (pid $pid) did not answer CQL within ${TIMEOUT}s; it is left running (stop: scripts/cassandra.sh stop)"
}

cmd_stop() {
  local pid; pid="$(node_pid)"
  if [[ -z "$pid" ]]; then say "not running"; rm -f "$PID_FILE"; return 0; fi
  say "stopping pid $pid ..."
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; say "stopped"; return 0; }
    sleep 0.5
  done
  say "still alive after 30s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid; pid="$(node_pid)"
  if [[ -z "$pid" ]]; then
    if port_in_use "$PORT"; then say "no node of ours, but port $PORT is taken by another process"; return 1; fi
    say "not running"; return 3
  fi
  local version
  if version="$(probe 5 "$pid" 2>/dev/null)"; then
    say "running: pid $pid, Cassandra $version answering CQL on $HOST:$PORT, dir $NODE_DIR"
    return 0
  fi
  say "pid $pid is alive but not answering CQL on $HOST:$PORT (starting, or unhealthy; log: $LOG_DIR/system.log)"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop; cmd_start ;;
  *) echo "usage: $0 start|stop|status|restart" >&2; exit 64 ;;
esac
