import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Holder {
  pid: number;
  host: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent died too may linger as a zombie until init reaps it: gone all the same.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all there is
  }
}

function readHolder(file: string): Holder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
  } catch {
    return null; // gone meanwhile, or torn by a crash while it was written
  }
}

/**
 * An exclusive claim on a folder for one process (`DIR/lock`, naming the holder's pid and host),
 * so two runs never write one run's checkpoints and logs at once. A lock left by a process that is
 * gone (killed with SIGKILL, on this host) is taken over; a live holder is an error naming it.
 * Returns the release function.
 */
export function lockDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  const me: Holder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      const holder = readHolder(file);
      const stale = holder === null || (holder.host === me.host && !isAlive(holder.pid));
      if (!stale)
        throw new Error(
          `${dir}: in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.since}); stop it first, or delete ${file} if that process is gone`,
        );
      fs.rmSync(file, { force: true });
    }
  }
  return () => {
    if (readHolder(file)?.pid === me.pid) fs.rmSync(file, { force: true });
  };
}
