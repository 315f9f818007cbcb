"""permissions: source addresses allowed per group (table ``address``); see docs/modules.md."""
