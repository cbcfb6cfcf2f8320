"""Checks that docker-compose.yaml and docker/Dockerfile deliver what docs/docker.md promises.

No Docker engine is needed: the compose file is parsed with PyYAML and interpolated the way
Compose does (``${VAR}``, ``${VAR:-default}``, ``$$``). ``docker compose config -q`` runs as well
when the Compose plugin is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import tomllib
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yaml"
DOCKERFILE = REPO / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / "docker" / "Dockerfile.dockerignore"
ENV_EXAMPLE = REPO / "docker" / ".env.example"
DOCS = REPO / "docs" / "docker.md"

AIRFLOW_VERSION = "3.3.2"
BASE_IMAGE = f"apache/airflow:{AIRFLOW_VERSION}-python3.11"
# The sandbox must listen on every interface of its own container to be reachable by the
# workers; the host side is published on 127.0.0.1 only (checked below).
ALL_INTERFACES = "0.0.0.0"  # noqa: S104

AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
# Long-running Airflow components plus the one-off init container.
AIRFLOW_SERVICES = [*AIRFLOW_COMMANDS, "airflow-init"]
INFRA_SERVICES = ["postgres", "redis", "warehouse", "nmbrs-sandbox"]
CONNECTION_VARS = ["AIRFLOW_CONN_KEEPING_WAREHOUSE", "AIRFLOW_CONN_NMBRS_DEFAULT"]

# ---------------------------------------------------------------------------------------------
# Compose variable interpolation (the subset of the Compose spec this file may use)
# ---------------------------------------------------------------------------------------------

_VAR = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_]\w*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.DOTALL)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Resolve ``${...}`` in every string of a parsed compose document, as Compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("named"):
            return env.get(match.group("named"), "")
        braced = _BRACED.fullmatch(match.group("braced"))
        if braced is None:
            raise ValueError(f"unsupported interpolation {match.group(0)!r} in {value!r}")
        name, op, arg = braced.group("name", "op", "arg")
        current = env.get(name)
        is_set = current is not None
        is_set_non_empty = bool(current)
        if op is None:
            return current or ""
        if op in (":-", "-"):
            use_current = is_set_non_empty if op == ":-" else is_set
            return current if use_current else arg  # type: ignore[return-value]
        if op in (":+", "+"):
            use_arg = is_set_non_empty if op == ":+" else is_set
            return arg if use_arg else ""
        if not (is_set_non_empty if op == ":?" else is_set):
            raise KeyError(f"required variable {name} is not set: {arg}")
        return current  # type: ignore[return-value]

    return _VAR.sub(substitute, value)


def variables_in(value: Any) -> set[str]:
    """Names of the variables a compose document refers to."""
    if isinstance(value, dict):
        return set().union(*(variables_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(variables_in(item) for item in value))
    if not isinstance(value, str):
        return set()
    names = set()
    for match in _VAR.finditer(value):
        if match.group("named"):
            names.add(match.group("named"))
        elif match.group("braced") and (braced := _BRACED.fullmatch(match.group("braced"))):
            names.add(braced.group("name"))
    return names


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def load_compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose file with every variable resolved from ``env`` (defaults when absent)."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return interpolate(raw, env or {})


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if val is None else str(val) for key, val in env.items()}


def bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source, for the short volume syntax ``source:target[:mode]``."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
            continue
        source, target, *_mode = volume.split(":")
        mounts[target] = source
    return mounts


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def published_ports(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host_ip, host_port, container_port) of every published port; '' where unset."""
    result = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            result.append(
                (
                    str(port.get("host_ip", "")),
                    str(port.get("published", "")),
                    str(port.get("target", "")),
                )
            )
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) == 3:
            result.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            result.append(("", parts[0], parts[1]))
        else:
            result.append(("", "", parts[0]))
    return result


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of docker/Dockerfile, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
    return instructions


# ---------------------------------------------------------------------------------------------
# Services and commands
# ---------------------------------------------------------------------------------------------


def test_all_services_are_defined(services: dict[str, Any]) -> None:
    missing = sorted(set(AIRFLOW_SERVICES + INFRA_SERVICES) - set(services))
    assert not missing, f"docker-compose.yaml lacks services: {missing}"


@pytest.mark.parametrize(("name", "command"), sorted(AIRFLOW_COMMANDS.items()))
def test_airflow_component_commands(services: dict[str, Any], name: str, command: str) -> None:
    assert command_text(services[name]) == command


def test_airflow_services_run_the_project_image(services: dict[str, Any]) -> None:
    images = set()
    for name in [*AIRFLOW_SERVICES, "nmbrs-sandbox"]:
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name} is not built from docker/Dockerfile"
        assert build.get("context") == "."
        assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        images.add(services[name].get("image"))
    assert len(images) == 1 and None not in images, f"one image tag for all: {images}"


def test_init_migrates_the_database_and_creates_the_admin(services: dict[str, Any]) -> None:
    init = services["airflow-init"]
    env = environment(init)
    assert env["_AIRFLOW_DB_MIGRATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_USERNAME"] and env["_AIRFLOW_WWW_USER_PASSWORD"]
    script = command_text(init)
    # The image's /entrypoint performs the migration and user creation before the command.
    assert "/entrypoint airflow" in script
    assert "mkdir" in script and "/opt/airflow/" in script
    assert "restart" not in init, "airflow-init is a one-off job"


def test_infrastructure_images(services: dict[str, Any]) -> None:
    assert services["postgres"]["image"] == "postgres:16"
    assert services["warehouse"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7.2-bookworm"


def test_flower_is_optional(services: dict[str, Any]) -> None:
    if "flower" in services:
        assert services["flower"].get("profiles"), "flower must sit behind a profile"
        assert command_text(services["flower"]) == "celery flower"


# ---------------------------------------------------------------------------------------------
# Airflow configuration
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_celery_executor_with_redis_broker(services: dict[str, Any], name: str) -> None:
    env = environment(services[name])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname) == ("redis", "redis")
    assert urlsplit(env["AIRFLOW__CELERY__RESULT_BACKEND"]).hostname == "postgres"
    metadata = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert metadata.scheme.startswith("postgresql") and metadata.hostname == "postgres"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_settings(services: dict[str, Any], name: str) -> None:
    env = environment(services[name])
    assert env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] in ("true", "false")
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    assert "AIRFLOW__CORE__FERNET_KEY" in env
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"], "components must share one JWT secret"
    assert "auth_manager" in env["AIRFLOW__CORE__AUTH_MANAGER"].lower()
    api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (api.hostname, api.port, api.path) == ("airflow-apiserver", 8080, "/execution/")
    assert api.hostname in services


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_project_folders_are_mounted(services: dict[str, Any], name: str) -> None:
    mounts = bind_mounts(services[name])
    for folder in ("dags", "include", "plugins", "logs", "config"):
        assert mounts.get(f"/opt/airflow/{folder}") == f"./{folder}", f"{name}: {folder}/"


def test_sync_config_is_inside_the_mounted_include_folder(services: dict[str, Any]) -> None:
    path = environment(services["airflow-worker"])["NMBRS_SYNC_CONFIG"]
    assert path == "/opt/airflow/include/nmbrs_sync.yaml"
    host_file = REPO / "include" / Path(path).relative_to("/opt/airflow/include")
    assert host_file.is_file(), f"missing {host_file.relative_to(REPO)}"


def test_worker_is_scalable(raw: dict[str, Any], services: dict[str, Any]) -> None:
    worker = services["airflow-worker"]
    for key in ("container_name", "hostname", "ports"):
        assert key not in worker, f"airflow-worker sets {key}: --scale would clash"
    assert "container_name" not in raw["x-airflow-common"]


def test_the_call_budget_needs_only_the_warehouse(services: dict[str, Any]) -> None:
    """Scaled workers share each API user's budget through the warehouse: no lock service, no
    shared volume for the per-machine pacer, and every worker reaches the warehouse."""
    assert set(services) - set(AIRFLOW_SERVICES) - {"flower", "airflow-cli"} == set(INFRA_SERVICES)
    worker = services["airflow-worker"]
    assert "AIRFLOW_CONN_KEEPING_WAREHOUSE" in environment(worker)
    assert not any("/tmp" in str(volume) for volume in worker.get("volumes", []))
    config = yaml.safe_load((REPO / "include" / "nmbrs_sync.yaml").read_text("utf-8"))
    assert config.get("warehouse_conn_id", "keeping_warehouse") == "keeping_warehouse"


# ---------------------------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in AIRFLOW_SERVICES if name != "airflow-init"])
def test_connections_are_set_on_every_component(services: dict[str, Any], name: str) -> None:
    env = environment(services[name])
    for var in CONNECTION_VARS:
        assert env.get(var), f"{name} lacks {var}"


@pytest.mark.parametrize(
    "env",
    [{}, {"WAREHOUSE_USER": "reporter", "WAREHOUSE_PASSWORD": "s3cret"}],
    ids=["defaults", "from-env"],
)
def test_warehouse_connection_points_at_the_warehouse(env: dict[str, str]) -> None:
    services = load_compose(env)["services"]
    uri = urlsplit(environment(services["airflow-worker"])["AIRFLOW_CONN_KEEPING_WAREHOUSE"])
    warehouse = environment(services["warehouse"])
    assert uri.scheme in ("postgres", "postgresql")
    assert uri.hostname == "warehouse" and uri.port == 5432
    assert uri.path.lstrip("/") == warehouse["POSTGRES_DB"] == "keeping"
    assert unquote(uri.username or "") == warehouse["POSTGRES_USER"]
    assert unquote(uri.password or "") == warehouse["POSTGRES_PASSWORD"]
    if env:
        assert (uri.username, uri.password) == (env["WAREHOUSE_USER"], env["WAREHOUSE_PASSWORD"])


def nmbrs_connection(env: dict[str, str]) -> dict[str, Any]:
    services = load_compose(env)["services"]
    return json.loads(environment(services["airflow-worker"])["AIRFLOW_CONN_NMBRS_DEFAULT"])


def test_nmbrs_connection_defaults_to_the_sandbox_demo_account(
    services: dict[str, Any],
) -> None:
    conn = nmbrs_connection({})
    assert conn["conn_type"] == "nmbrs"
    assert conn["login"] == "demo@example.com"
    assert conn["password"] == "sandbox-demo-token"
    assert conn["extra"] == {"domain": "demo"}
    host = urlsplit(conn["host"])
    assert host.scheme == "http" and host.hostname == "nmbrs-sandbox"
    assert host.hostname in services
    sandbox_args = services["nmbrs-sandbox"]["command"]
    assert str(host.port) == sandbox_args[sandbox_args.index("--port") + 1]


def test_nmbrs_connection_comes_from_the_environment(raw: dict[str, Any]) -> None:
    real = {
        "NMBRS_USERNAME": "api@acme.nl",
        "NMBRS_TOKEN": "t0ken-from-env",
        "NMBRS_DOMAIN": "acme",
        "NMBRS_HOST": "https://api.nmbrs.nl",
    }
    conn = nmbrs_connection(real)
    assert (conn["login"], conn["password"]) == ("api@acme.nl", "t0ken-from-env")
    assert (conn["host"], conn["extra"]["domain"]) == ("https://api.nmbrs.nl", "acme")
    template = raw["x-airflow-common"]["environment"]["AIRFLOW_CONN_NMBRS_DEFAULT"]
    assert "${NMBRS_TOKEN:-" in template, "the token must come from the environment"


def test_nmbrs_connection_is_accepted_by_the_provider() -> None:
    settings_module = pytest.importorskip("nmbrs_provider.connection_settings")
    conn = nmbrs_connection({})
    settings = settings_module.NmbrsConnectionSettings.from_fields(
        login=conn["login"], password=conn["password"], host=conn["host"], extra=conn["extra"]
    )
    assert settings.base_url == "http://nmbrs-sandbox:8080"


# ---------------------------------------------------------------------------------------------
# Ports, health checks, dependencies
# ---------------------------------------------------------------------------------------------


def test_published_ports_bind_loopback_only(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for host_ip, host_port, container_port in published_ports(service):
            assert host_ip == "127.0.0.1", (
                f"{name} publishes {host_port or '?'}->{container_port} on all interfaces"
            )
            assert host_port, f"{name}: give {container_port} a fixed host port"


def test_expected_host_ports(services: dict[str, Any]) -> None:
    assert published_ports(services["airflow-apiserver"]) == [("127.0.0.1", "8080", "8080")]
    assert published_ports(services["nmbrs-sandbox"]) == [("127.0.0.1", "8081", "8080")]


def test_sandbox_serves_the_demo_scenario(services: dict[str, Any]) -> None:
    sandbox = services["nmbrs-sandbox"]
    entrypoint = sandbox.get("entrypoint")
    argv = [*(entrypoint if isinstance(entrypoint, list) else [entrypoint]), *sandbox["command"]]
    assert argv[:3] == ["python", "-m", "nmbrs_sandbox"]
    args = dict(zip(argv[3::2], argv[4::2], strict=True))
    assert args["--host"] == ALL_INTERFACES
    assert args["--port"] == "8080"
    assert args["--scenario"] == "nmbrs_sandbox/scenarios/demo.yaml"
    # The container's working directory holds the package, mounted from the repository.
    workdir = sandbox["working_dir"]
    assert bind_mounts(sandbox)[f"{workdir}/nmbrs_sandbox"] == "./nmbrs_sandbox"


@pytest.mark.parametrize(
    "name",
    [*INFRA_SERVICES, "airflow-apiserver", "airflow-scheduler", "airflow-worker"],
)
def test_healthchecks(services: dict[str, Any], name: str) -> None:
    check = services[name].get("healthcheck", {})
    assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_apiserver_healthcheck(services: dict[str, Any]) -> None:
    test = services["airflow-apiserver"]["healthcheck"]["test"]
    assert "http://localhost:8080/api/v2/version" in test


def test_warehouse_healthcheck_waits_for_tcp(services: dict[str, Any]) -> None:
    # During initdb postgres listens on its socket only; a TCP check waits for the seed.
    test = " ".join(services["warehouse"]["healthcheck"]["test"])
    assert "pg_isready" in test and "-h 127.0.0.1" in test


def test_healthy_conditions_have_healthchecks(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dep, condition in depends_on(service).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            if condition == "service_healthy":
                assert services[dep].get("healthcheck"), f"{name} waits for {dep}'s health"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_waits_for_its_databases(services: dict[str, Any], name: str) -> None:
    deps = depends_on(services[name])
    assert deps.get("postgres") == "service_healthy"
    assert deps.get("redis") == "service_healthy"
    if name != "airflow-init":
        assert deps.get("airflow-init") == "service_completed_successfully"


def test_worker_waits_for_what_tasks_call(services: dict[str, Any]) -> None:
    deps = depends_on(services["airflow-worker"])
    assert deps.get("airflow-apiserver") == "service_healthy"
    assert deps.get("warehouse") == "service_healthy"
    assert deps.get("nmbrs-sandbox") == "service_healthy"


# ---------------------------------------------------------------------------------------------
# Warehouse
# ---------------------------------------------------------------------------------------------


def test_warehouse_database(compose: dict[str, Any], services: dict[str, Any]) -> None:
    warehouse = services["warehouse"]
    env = environment(warehouse)
    assert env["POSTGRES_DB"] == "keeping"
    assert env["POSTGRES_USER"] == "keeping" and env["POSTGRES_PASSWORD"] == "keeping"
    data = bind_mounts(warehouse)["/var/lib/postgresql/data"]
    assert data in compose["volumes"], "the warehouse keeps its data in a named volume"


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for source in bind_mounts(service).values():
            if source and not source.startswith(("/", ".", "~", "$")):
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_warehouse_init_scripts_exist_and_run_in_order(services: dict[str, Any]) -> None:
    mounts = {
        target: source
        for target, source in bind_mounts(services["warehouse"]).items()
        if target.startswith("/docker-entrypoint-initdb.d/")
    }
    by_host_file = {Path(source).name: Path(target).name for target, source in mounts.items()}
    assert {"keeping_schema.sql", "demo_seed.sql"} <= set(by_host_file)
    for script in by_host_file.values():
        assert re.match(r"^\d+_.+\.sql$", script), f"{script}: numeric prefix sets the order"
    order = sorted(by_host_file, key=by_host_file.__getitem__)
    assert order.index("keeping_schema.sql") < order.index("demo_seed.sql")
    missing = sorted(source for source in mounts.values() if not (REPO / source).is_file())
    # Docker would silently create an empty directory in place of a missing file.
    assert not missing, f"warehouse init scripts missing in the repository: {missing}"


def test_sandbox_scenario_exists(services: dict[str, Any]) -> None:
    args = services["nmbrs-sandbox"]["command"]
    scenario = REPO / args[args.index("--scenario") + 1]
    assert scenario.is_file(), f"missing {scenario.relative_to(REPO)}"
    assert (REPO / "nmbrs_sandbox" / "__main__.py").is_file(), "missing nmbrs_sandbox/__main__.py"


# ---------------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------------


def test_dockerfile_extends_the_official_image() -> None:
    instructions = dockerfile_instructions()
    args = {}
    for keyword, value in instructions:
        if keyword == "ARG" and "=" in value:
            name, _, default = value.partition("=")
            args[name] = default.strip("\"'")
        if keyword == "FROM":
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), value)
            assert image.split()[0] == BASE_IMAGE
            break
    else:
        pytest.fail("docker/Dockerfile has no FROM")


def test_dockerfile_installs_requirements_and_the_provider() -> None:
    instructions = dockerfile_instructions()
    copied: list[str] = []
    installs: list[str] = []
    user = "root"
    for keyword, value in instructions:
        if keyword == "USER":
            user = value
        if keyword in ("COPY", "ADD"):
            copied.append(value)
        if keyword == "RUN" and "pip install" in value:
            assert user == "airflow", "pip must run as the airflow user"
            assert "--no-cache-dir" in value
            assert '"apache-airflow==${AIRFLOW_VERSION}"' in value, "keep the image's Airflow"
            assert re.search(r"(-c|--constraint) \S*constraints", value), "use the lock"
            if "./plugins/nmbrs_provider" in value:
                assert any("plugins/nmbrs_provider" in copy for copy in copied)
            installs.append(value)
    assert any("-r requirements.txt" in run for run in installs), "requirements not installed"
    assert any("./plugins/nmbrs_provider" in run for run in installs), "provider not installed"
    for source in ("requirements.txt", "constraints.txt", "plugins/nmbrs_provider"):
        assert any(source in copy for copy in copied), f"docker/Dockerfile does not copy {source}"
    final_user = [value for keyword, value in instructions if keyword == "USER"][-1]
    assert final_user == "airflow", "the image must not end as root"


def test_dockerignore_lets_the_copied_files_through() -> None:
    allowed = {
        line[1:].strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    for keyword, value in dockerfile_instructions():
        if keyword != "COPY":
            continue
        sources = [part for part in value.split() if not part.startswith("--")][:-1]
        for source in sources:
            assert source.rstrip("/") in allowed, f"{source} is excluded from the build context"


@pytest.mark.parametrize("path", ["requirements.txt", "constraints.txt"])
def test_build_inputs_pin_the_base_image_airflow(path: str) -> None:
    file = REPO / path
    assert file.is_file(), f"missing {path} (docker/Dockerfile copies it)"
    pins = re.findall(r"(?im)^apache-airflow==(\S+)", file.read_text(encoding="utf-8"))
    assert pins == [AIRFLOW_VERSION], f"{path} must pin apache-airflow=={AIRFLOW_VERSION}"


def test_provider_is_an_installable_distribution() -> None:
    pyproject = REPO / "plugins" / "nmbrs_provider" / "pyproject.toml"
    assert pyproject.is_file(), "missing plugins/nmbrs_provider/pyproject.toml"
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    assert project["name"] == "airflow-provider-nmbrs"
    assert "apache_airflow_provider" in project.get("entry-points", {})


# ---------------------------------------------------------------------------------------------
# Environment template, documentation, docker compose itself
# ---------------------------------------------------------------------------------------------


def test_env_example_documents_every_variable(raw: dict[str, Any]) -> None:
    documented = set(re.findall(r"(?m)^([A-Za-z_]\w*)=", ENV_EXAMPLE.read_text("utf-8")))
    missing = sorted(variables_in(raw) - documented)
    assert not missing, f"docker/.env.example lacks {missing}"


def test_compose_defaults_match_the_env_example() -> None:
    values = dict(re.findall(r"(?m)^([A-Za-z_]\w*)=(.*)$", ENV_EXAMPLE.read_text("utf-8")))
    assert load_compose(values) == load_compose(), "the .env example must equal the defaults"


@pytest.mark.parametrize(
    "phrase",
    [
        "docker compose up airflow-init",
        "docker compose up -d",
        "--scale airflow-worker=",
        "http://localhost:8080",
        "nmbrs_payroll_sync",
        "NMBRS_TOKEN",
        "AIRFLOW_CONN_NMBRS_DEFAULT",
        '"conn_type": "nmbrs"',
    ],
)
def test_docs_describe_the_stack(phrase: str) -> None:
    assert phrase in DOCS.read_text(encoding="utf-8"), f"docs/docker.md should mention {phrase}"


def compose_plugin_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not compose_plugin_available(),
    reason="the Docker Compose v2 plugin ('docker compose') is not installed here",
)
def test_docker_compose_config_is_valid(raw: dict[str, Any]) -> None:
    profiles = sorted(
        {profile for service in raw["services"].values() for profile in service.get("profiles", [])}
    )
    profile_args = [arg for profile in profiles for arg in ("--profile", profile)]
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), *profile_args, "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
