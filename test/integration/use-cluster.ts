// The suite-level cluster fixture shared by integration test files.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Cluster, type ClusterOptions } from './cluster.js';

/**
 * Starts a cluster before the suite, keeps its logs when a test fails, stops it after; returns an
 * accessor that throws if the cluster never started.
 */
export function useCluster(options: ClusterOptions): () => Cluster {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await Cluster.start(options);
    await cluster.waitForLeader().catch((error: unknown) => {
      cluster?.markFailed();
      throw error;
    });
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') cluster?.markFailed();
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });
  return () => {
    if (cluster === undefined) throw new Error('The cluster did not start');
    return cluster;
  };
}
