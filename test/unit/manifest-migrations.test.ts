import { describe, expect, it } from "vitest";
import { migrateRecorded } from "../../src/manifest-migrations.js";

/** A manifest recorded by an older release, brought to this one's schema when sync reads it. */
describe("recorded manifest migrations", () => {
  const digest = `sha256:${"62".repeat(32)}`;
  const older = (rust: string, images: Record<string, string> = {}, version = "0.1.0") => ({ generator: { name: "create-hybrid-backend", version }, toolchains: { rust }, images });

  it("takes a minor this tool pins to the release it pins, moving the recorded digest only when it is that release's", () => {
    const known = "sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1";
    const { input, notices } = migrateRecorded(older("1.95", { "rust:1.95-bookworm": known }));
    expect(input).toMatchObject({ toolchains: { rust: "1.95.0" }, images: { "rust:1.95.0-bookworm": known } });
    expect((input as { images: object }).images).not.toHaveProperty("rust:1.95-bookworm");
    expect(notices).toMatchObject([{ field: "toolchains.rust", from: "1.95", to: "1.95.0" }]);
    const own = migrateRecorded(older("1.95", { "rust:1.95-bookworm": digest }));
    expect(own.input).toMatchObject({ toolchains: { rust: "1.95.0" }, images: { "rust:1.95-bookworm": digest } });
    expect(own.notices[0]!.why).toContain("knows no digest");
  });

  it("takes a minor it does not know to its first release", () => {
    const { input, notices } = migrateRecorded(older("1.97"));
    expect(input).toMatchObject({ toolchains: { rust: "1.97.0" } });
    expect(notices[0]!.to).toBe("1.97.0");
  });

  it("leaves exact releases, and manifests of later releases, to the schema", () => {
    expect(migrateRecorded(older("1.95.0")).notices).toEqual([]);
    expect(migrateRecorded(older("1.95", {}, "0.2.0")).notices).toEqual([]);
  });
});
