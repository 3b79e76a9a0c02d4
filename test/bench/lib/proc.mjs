// Process statistics from /proc (Linux): CPU time and resident memory of a server.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

// utime + stime of the whole process (all threads), in seconds. Resolution is one
// clock tick (10 ms), so workloads must run long enough to make it negligible.
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces; the fields after its closing ')' do not.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

function statusField(pid, name) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const line = status.split("\n").find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(/\s+/)[1]) : NaN;
}

// Context switches of every thread of a process, summed by thread name. Voluntary ones
// are a thread going to sleep for want of work (a hand-off between threads: each costs a
// wake-up later); involuntary ones are preemption, mostly by other processes on a
// shared machine.
export function contextSwitches(pid) {
  const byThread = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      const count = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      const t = (byThread[name] ??= { voluntary: 0, involuntary: 0 });
      t.voluntary += count("voluntary_ctxt_switches");
      t.involuntary += count("nonvoluntary_ctxt_switches");
    } catch {
      // the thread ended meanwhile
    }
  }
  return byThread;
}

// The context switches between two readings of contextSwitches: per thread name and in total.
export function switchesBetween(before, after) {
  const byThread = {};
  const total = { voluntary: 0, involuntary: 0 };
  for (const [name, n] of Object.entries(after)) {
    const b = before[name] ?? { voluntary: 0, involuntary: 0 };
    byThread[name] = { voluntary: n.voluntary - b.voluntary, involuntary: n.involuntary - b.involuntary };
    total.voluntary += byThread[name].voluntary;
    total.involuntary += byThread[name].involuntary;
  }
  return { ...total, byThread };
}

// VmRSS in KiB.
export const rssKiB = (pid) => statusField(pid, "VmRSS");
export const threadCount = (pid) => statusField(pid, "Threads");

// Samples the CPU use of some processes every `intervalMs` (as a fraction of one core),
// to tell whether a latency comes from the server or from a saturated load generator.
export function cpuSampler(pids, intervalMs = 250) {
  const series = Object.fromEntries(Object.keys(pids).map((name) => [name, []]));
  const last = {};
  const read = () => {
    for (const [name, pid] of Object.entries(pids)) {
      try {
        const cpu = cpuSeconds(pid);
        if (last[name] !== undefined) series[name].push((cpu - last[name]) / (intervalMs / 1000));
        last[name] = cpu;
      } catch {
        // the process is gone
      }
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const round = (v) => Math.round(v * 100) / 100;
      return Object.fromEntries(
        Object.entries(series).map(([name, s]) => [
          name,
          { mean: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)), max: round(Math.max(0, ...s)), series: s.map(round) },
        ]),
      );
    },
  };
}
