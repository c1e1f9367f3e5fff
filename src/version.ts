/** Magpie version, reported to the registries. */
export const VERSION = "0.1.0";
