/** Body size bound for registry routes: larger bodies answer 413 `payload_too_large`. */
import { bodyLimit } from "hono/body-limit";
import { MagpieError } from "../../src/core/errors.ts";

/** Middleware rejecting bodies over `maxBytes` before they are parsed. */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new MagpieError("payload_too_large", `request body exceeds ${maxBytes} bytes`);
    },
  });
}
