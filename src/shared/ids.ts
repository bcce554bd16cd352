/**
 * Identifiers never travel as bare numbers: each has a brand, and the only way to make one is a
 * checking constructor here. All are non-negative safe integers, so they survive JSON, SQLite and
 * the 64-bit proto fields (decoded with `longs: String`) without loss.
 */
import { assert } from './assert.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type NodeId = Brand<number, 'NodeId'>;
export type GroupId = Brand<number, 'GroupId'>;
export type Term = Brand<number, 'Term'>;
export type LogIndex = Brand<number, 'LogIndex'>;

function checkCount(value: number, what: string, min: number): number {
  assert(Number.isSafeInteger(value), `${what} must be a safe integer, got ${value}`);
  assert(value >= min, `${what} must be >= ${min}, got ${value}`);
  return value;
}

/** Node ids start at 1; 0 means "nobody" in hint fields and is never a node. */
export const nodeId = (value: number): NodeId => checkCount(value, 'NodeId', 1) as NodeId;
export const groupId = (value: number): GroupId => checkCount(value, 'GroupId', 0) as GroupId;
export const term = (value: number): Term => checkCount(value, 'Term', 0) as Term;
export const logIndex = (value: number): LogIndex => checkCount(value, 'LogIndex', 0) as LogIndex;
