/**
 * Shares a stream group's partitions among its members, round-robin over the member ids in sorted
 * order: partition p goes to member `p mod members`. The result depends only on the member ids and the
 * partition count, so every broker computes the same assignment; adding partitions never moves an
 * existing one, and sizes differ by at most one.
 *
 * @returns each member id with its partitions in ascending order (members without any get `[]`).
 */
export function assignPartitions(memberIds: readonly string[], partitions: number): Map<string, number[]> {
  const ids = [...memberIds].sort();
  const result = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  for (let p = 0; p < partitions; p++) result.get(ids[p % ids.length]!)!.push(p);
  return result;
}
