import { describe, expect, test } from "bun:test";
import cassandra from "cassandra-driver";
import { MagpieError } from "../../src/core/errors.ts";
import { storageUnavailable } from "../../src/store/cassandra/context.ts";

function mapped(err: unknown): unknown {
  try {
    storageUnavailable(err);
  } catch (e) {
    return e;
  }
  throw new Error("did not throw");
}

describe("Cassandra driver errors at the store boundary", () => {
  test("transient failures become `unavailable` (clients retry them)", () => {
    const codes = cassandra.types.responseErrorCodes;
    const transient = [
      new cassandra.errors.NoHostAvailableError({}),
      new cassandra.errors.OperationTimedOutError("timed out", "127.0.0.1:9042"),
      new cassandra.errors.BusyConnectionError("127.0.0.1:9042", 2048, 1),
      new cassandra.errors.ResponseError(codes.overloaded, "overloaded"),
      new cassandra.errors.ResponseError(codes.writeTimeout, "write timeout"),
      new cassandra.errors.ResponseError(codes.unavailableException, "not enough replicas"),
    ];
    for (const err of transient) {
      const e = mapped(err);
      expect(e).toBeInstanceOf(MagpieError);
      expect((e as MagpieError).code).toBe("unavailable");
    }
  });

  test("programming and schema errors are not disguised as transient", () => {
    const err = new cassandra.errors.ResponseError(cassandra.types.responseErrorCodes.syntaxError, "line 1: bad");
    expect(mapped(err)).toBe(err);
    const own = new MagpieError("not_member", "x");
    expect(mapped(own)).toBe(own);
  });
});
