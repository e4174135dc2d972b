# What scripts/test.sh needs beyond cargo, as one list: sourced by scripts/test.sh (which says
# what is missing) and by .ci/run (which installs it). Each entry is "CHECK PACKAGE": a command
# that must be on PATH (or, for "pip" and "venv", a Python module; or a file, by its absolute
# path), and the Debian package giving it.
LTS_PREREQS=(
    "cc gcc" "c++ g++" "make make" "pkg-config pkg-config" "cmake cmake"
    "readelf binutils" "objcopy binutils" "strip binutils" "taskset util-linux"
    "valgrind valgrind" "python3 python3" "pip python3-pip" "venv python3-venv" "curl curl"
    "go golang-go" "mcs mono-mcs" "mono mono-runtime" "php php-cli"
    "javac openjdk-17-jdk-headless" "jar openjdk-17-jdk-headless"
    "/usr/share/java/junit-platform-console-standalone.jar junit5"
    "/usr/share/java/log4j-core.jar liblog4j2-java" "/usr/share/java/logback-classic.jar liblogback-java"
    "/usr/include/spdlog/spdlog.h libspdlog-dev" "/usr/share/php/Monolog/autoload.php php-monolog"
    "node nodejs" "npm npm" "debootstrap debootstrap"
)

# Prints the Debian packages of every missing prerequisite, once each, space-separated.
lts_missing_packages() {
    local entry check pkg missing=()
    for entry in "${LTS_PREREQS[@]}"; do
        check=${entry% *}
        pkg=${entry#* }
        if [ "$check" = pip ]; then
            python3 -m pip --version >/dev/null 2>&1 && continue
        elif [ "$check" = venv ]; then
            python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && continue
        elif [ "${check#/}" != "$check" ]; then
            [ -f "$check" ] && continue
        else
            command -v "$check" >/dev/null 2>&1 && continue
        fi
        case " ${missing[*]} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
    done
    echo "${missing[*]}"
}

# Prints the cargo components (rustup) that are missing: rustfmt and clippy.
lts_missing_components() {
    local missing=()
    cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    echo "${missing[*]}"
}
