/** Where and how a run happened, for the report header: machine, versions, commit, command. */
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { etcdVersion } from '../targets/etcd-target.js';

export interface RunMeta {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: {
    readonly cpuModel: string;
    readonly cores: number;
    readonly memoryGb: number;
    readonly kernel: string;
    readonly loadAverageAtStart: readonly number[];
  };
  readonly node: string;
  readonly etcd: string | null;
  readonly gitCommit: string;
  readonly network: string;
  readonly targets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly client: Readonly<Record<string, string | number>>;
}

function git(args: readonly string[]): string {
  try {
    return execFileSync('git', [...args], { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch {
    return '';
  }
}

export function machineMeta(): RunMeta['machine'] {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function versionsMeta(): { node: string; etcd: string | null; gitCommit: string } {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain']) === '' ? '' : ' (with uncommitted changes)';
  return { node: process.version, etcd: etcdVersion() ?? null, gitCommit: `${commit || 'unknown'}${dirty}` };
}

export function describeMachine(machine: RunMeta['machine']): string {
  return `${machine.cores} × ${machine.cpuModel}, ${machine.memoryGb} GB RAM, Linux ${machine.kernel}, free ${Math.round(freemem() / 2 ** 30)} GB`;
}
