/** CSS imported by page scripts is bundled by Bun.build; it has no exports. */
declare module "*.css";
