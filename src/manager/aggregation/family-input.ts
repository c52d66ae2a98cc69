// One part's family as the ledger holds it and the merge takes it (a worker's, the retired total,
// the manager's own): a layout and its values. Inputs that share a layout object have the same
// samples in the same places; that identity is the ledger's one notion of "same shape", and a
// family whose values alone changed is a new input on the old layout, never a rebuilt family.
import {
  packedValues,
  sameShape,
  unpackFamily,
  type PackedFamily,
} from '../../metrics/packed-family.js';
import type { MetricFamily } from '../../metrics/snapshot.js';

export interface FamilyInput {
  /** The head and each sample's metric name and labels; its sample values are not read. */
  layout: MetricFamily;
  /** The numbers, in sample order. */
  values: readonly number[];
  /** The packing this input came from, to check the next one's shape against; null: none. */
  packed: PackedFamily | null;
}

export function inputOf(family: MetricFamily): FamilyInput {
  return { layout: family, values: family.values.map((sample) => sample.value), packed: null };
}

/**
 * The input for a new packing of a family: the prior input's layout if the packing kept its
 * shape (only its values are read then), else its own unpacked. Throws on a malformed packing.
 */
export function inputOfPacked(
  packed: PackedFamily,
  prior: FamilyInput | undefined,
): FamilyInput & { packed: PackedFamily } {
  const keepsShape = prior?.packed != null && sameShape(prior.packed, packed);
  const layout = keepsShape ? prior.layout : unpackFamily(packed);
  return { layout, values: packedValues(packed), packed };
}

/** For prom-client, which reads samples: built, never cached. */
export function familyOf(input: FamilyInput): MetricFamily {
  const { layout, values } = input;
  return {
    ...layout,
    values: layout.values.map((sample, k) => ({ ...sample, value: values[k]! })),
  };
}
