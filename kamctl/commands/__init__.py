"""kamctl's command table: name -> ("module:attribute", one-line help).

Commands are imported only when run (see kamctl.lazy), so ``kamctl --help`` and
completion stay fast and a broken optional dependency affects only its command.
"""

COMMANDS: dict[str, tuple[str, str]] = {
    "uptime": ("kamctl.commands.core:uptime", "Show how long the proxy has been running."),
    "ps": ("kamctl.commands.core:ps", "List the proxy's processes (tasks)."),
    "version": ("kamctl.commands.core:version", "Show kamctl's and the proxy's versions."),
    "cfg": ("kamctl.commands.cfg:cfg", "Show and change runtime parameters (cfg.*)."),
    "debug": ("kamctl.commands.debug:debug", "Show or set the live debug level."),
    "srv": ("kamctl.commands.srv:srv", "Server information and settings (srv debug, ...)."),
    "config": ("kamctl.commands.config:config", "Show the configuration and the files read."),
}
