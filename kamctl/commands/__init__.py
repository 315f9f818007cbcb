"""kamctl's command table: name -> ("module:attribute", one-line help).

Commands are imported only when run (see kamctl.lazy), so ``kamctl --help`` and
completion stay fast and a broken optional dependency affects only its command.
"""

COMMANDS: dict[str, tuple[str, str]] = {
    "uptime": ("kamctl.commands.core:uptime", "Show how long the proxy has been running."),
    "ps": ("kamctl.commands.core:ps", "List the proxy's processes (tasks)."),
    "version": ("kamctl.commands.core:version", "Show kamctl's and the proxy's versions."),
    "rpc": ("kamctl.commands.rpc:rpc", "Call any RPC method (kamcmd's arguments and output)."),
    "cfg": ("kamctl.commands.cfg:cfg", "Show and change runtime parameters (cfg.*)."),
    "debug": ("kamctl.commands.debug:debug", "Show or set the live debug level."),
    "srv": ("kamctl.commands.srv:srv", "Server information and settings (srv debug, ...)."),
    "config": ("kamctl.commands.config:config", "Show the configuration and the files read."),
    "add": ("kamctl.commands.subscriber:add", "Add a subscriber (USER[@DOMAIN] [PASSWORD])."),
    "passwd": ("kamctl.commands.subscriber:passwd", "Change a subscriber's password."),
    "rm": ("kamctl.commands.subscriber:rm", "Delete a subscriber (and its registrations)."),
    "show": ("kamctl.commands.subscriber:show", "Show a subscriber (all without USER)."),
    "subscriber": ("kamctl.commands.subscriber:subscriber", "List, import, export subscribers."),
    "ha1": ("kamctl.commands.subscriber:ha1", "Print the HA1 hash of user, realm, password."),
    "db": ("kamctl.commands.db:db", "Create, drop, show, back up and restore the database."),
    "domain": ("kamctl.commands.domain:domain", "Local domains: add, rm, show, showdb, reload."),
    "address": ("kamctl.commands.address:address", "Allowed source addresses (permissions)."),
    "dispatcher": ("kamctl.commands.dispatcher:dispatcher", "Dispatcher destination sets."),
    "reload": ("kamctl.commands.reload:reload", "Reload the proxy's routing script (app_python)."),
    "ul": ("kamctl.commands.ul:ul", "Registrations held by the proxy: show, add, rm."),
    "usrloc": ("kamctl.commands.ul:ul", "Same as ul."),
    "alias": ("kamctl.commands.ul:ul", "Same as ul (Kamailio's kamctl name)."),
    "online": ("kamctl.commands.ul:online", "List the registered users (AoRs)."),
    "stats": ("kamctl.commands.stats:stats", "Show statistics (all, or of GROUP)."),
    "monitor": ("kamctl.commands.monitor:monitor", "Live dashboard of the proxy (q to quit)."),
    "start": ("kamctl.commands.lifecycle:start", "Start kamproxy in the background."),
    "stop": ("kamctl.commands.lifecycle:stop", "Stop the kamproxy started by kamctl start."),
    "restart": ("kamctl.commands.lifecycle:restart", "Stop kamproxy, then start it again."),
    "status": ("kamctl.commands.lifecycle:status", "Tell whether kamproxy runs, and where."),
    "doctor": ("kamctl.commands.doctor:doctor", "Check the proxy, RPC, database and setup."),
    "completion": ("kamctl.commands.completion:completion", "Print the shell completion script."),
}
