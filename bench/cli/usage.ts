/** `bench/run.ts --help`. */
export const usage = `usage: npx tsx bench/run.ts [flags]            (npm run bench -- [flags], once package.json has it)

targets
  --target raftkv|etcd|both     what to start and drive (default raftkv); --compare etcd = both
scenarios
  --scenario NAME[,NAME]|all|custom   catalogue entries (--list), all of them, or one built from the flags below
  --workload write|read-linearizable|read-serializable|ycsb-a|ycsb-b|mixed
  --clients N  --mode closed|open  --rate OPS  --seconds S  --warmup S  --value-bytes B  --keys N
  --distribution uniform|zipfian  --nodes 3|5  --generators N  --fault NAME
  (flags given explicitly override the chosen scenarios' values)
faults
  --fault-at S (5)  --fault-seconds S (5)  --after-heal-seconds S (10)
  names: isolate-leader, partition-minority, partition-majority, kill-follower, kill-leader, pause-leader
client
  --connections N (4 per endpoint and generator)  --deadline-ms MS (1000)  --error-backoff-ms MS (10)  --seed N
servers
  --net auto|netns|loopback     servers in network namespaces (root) or on loopback
  --raftkv-build source|dist    node --import tsx src/... (default) or node dist/... (after npm run build)
  --raftkv-tick-ms 50 --raftkv-election-ticks 10 --raftkv-heartbeat-ticks 1
  --groups N                    raftkv data groups (shards, default 1); clients learn each key's group leader
  --etcd-heartbeat-ms 100 --etcd-election-ms 1000
  --node-flags "..."            extra node flags for raftkv servers
  --log-level warn|info|debug   servers' log level (logs under <out>/logs/<scenario>-<target>/)
  --data-root DIR               parent of the servers' data directories (default: the system temp dir;
                                /dev/shm takes fsync cost out, for experiments only)
  --tls                         raftkv with TLS on its port (throwaway certificates; clients do not verify them); raftkv only
  --cpu-prof                    V8 CPU profile of every raftkv server; the leader's hot spots go into the report
output
  --repeat N                    run the whole plan N times, targets alternating within each round;
                                the comparison shows each figure's median and the range of the ratio
  --out DIR                     default bench/results/<timestamp>/
  --list                        print the scenario catalogue`;
