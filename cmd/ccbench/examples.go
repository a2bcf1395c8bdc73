package main

// examples are the Example sections of the commands' --help, by command
// path; conventions puts each in its command's description.
var examples = map[string]string{
	"ccbench": `Example:
   ccbench serve --config.file ccbench.yaml --log.level debug`,
	"ccbench schema": `Example:
   ccbench schema migrate --config.file ccbench.yaml`,
	"ccbench schema migrate": `Example:
   CCBENCH_CONFIG=ccbench.yaml ccbench schema migrate --clickhouse.wait 30s`,
	"ccbench simulate": `Example:
   CCBENCH_SIMULATOR_TOKEN=secret ccbench simulate --style sodra --web.listen-address 127.0.0.1:18081 --seed 7 --days 7`,
	"ccbench collect": `Example:
   CCBENCH_CLICKHOUSE_PASSWORD=... ccbench collect --config.file ccbench.yaml \
       --web.listen-address :9818 --web.config.file web.yml`,
	"ccbench serve": `Example:
   ccbench serve --config.file ccbench.yaml --web.listen-address :9817 --web.config.file web.yml --log.format json`,
	"ccbench dashboards": `Example:
   ccbench dashboards generate --config.file ccbench.yaml --out dashboards/`,
	"ccbench dashboards generate": `Example:
   ccbench dashboards generate --config.file ccbench.yaml --out dashboards/`,
	"ccbench register": `Example:
   ccbench register load --config.file ccbench.yaml`,
	"ccbench register load": `Example:
   ccbench register load --config.file ccbench.yaml`,
	"ccbench compare": `Example:
   ccbench compare --config.file ccbench.yaml --from 2026-01-01 --to 2026-02-01`,
	"ccbench staffing": `Example:
   ccbench staffing --config.file ccbench.yaml --institution vmi --channel phone --from 2026-10-30 --to 2026-11-29 --target 0.95 --threshold 20s`,
	"ccbench quarantine": `Example:
   ccbench quarantine list --config.file ccbench.yaml --source sodra-api --limit 10`,
	"ccbench quarantine list": `Example:
   ccbench quarantine list --config.file ccbench.yaml --source sodra-api --limit 10`,
	"ccbench demo": `Example:
   ccbench demo --config.file deploy/ccbench.yaml --storage.path /tmp/ccbench-data --days 7`,
	"ccbench completion": `Example:
   source <(ccbench completion bash)   # in ~/.bashrc
   source <(ccbench completion zsh)    # in ~/.zshrc, after compinit`,
}
