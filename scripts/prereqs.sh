# What scripts/test.sh needs beyond cargo, as one list: sourced by scripts/test.sh (which says
# what is missing) and by .ci/run (which installs it). Each entry is "CHECK PACKAGE": a command
# that must be on PATH (or, for "pip" and "venv", a Python module; for "php-zip", PHP's zip
# extension; or a file, by its absolute path), and the Debian package giving it.
LTS_PREREQS=(
    "cc gcc" "c++ g++" "make make" "pkg-config pkg-config" "cmake cmake"
    "readelf binutils" "objcopy binutils" "strip binutils" "taskset util-linux"
    "valgrind valgrind" "python3 python3" "pip python3-pip" "venv python3-venv" "curl curl"
    "go golang-go" "/usr/lib/go-1.23/bin/go golang-1.23-go" "mcs mono-mcs" "mono mono-runtime" "php php-cli"
    "javac openjdk-17-jdk-headless" "jar openjdk-17-jdk-headless"
    "/usr/share/java/junit-platform-console-standalone.jar junit5"
    "/usr/share/java/log4j-core.jar liblog4j2-java" "/usr/share/java/logback-classic.jar liblogback-java"
    "/usr/include/spdlog/spdlog.h libspdlog-dev" "/usr/share/php/Monolog/autoload.php php-monolog"
    "node nodejs" "npm npm" "debootstrap debootstrap"
    # The packages taken by their ecosystems' tools (scripts/test-release.sh packages): Maven
    # offline on Debian's packaged plugins (the versions tests/install/maven/pom.xml pins),
    # composer (its artifact repository reads zips with PHP's zip extension), Debian's NuGet.
    "mvn maven"
    "/usr/share/maven-repo/org/apache/maven/plugins/maven-install-plugin/3.1.0/maven-install-plugin-3.1.0.jar libmaven-install-plugin-java"
    "/usr/share/maven-repo/org/apache/maven/plugins/maven-resources-plugin/3.3.0/maven-resources-plugin-3.3.0.jar libmaven-resources-plugin-java"
    "/usr/share/maven-repo/org/apache/maven/plugins/maven-compiler-plugin/3.10.1/maven-compiler-plugin-3.10.1.jar libmaven-compiler-plugin-java"
    "/usr/share/maven-repo/org/codehaus/mojo/exec-maven-plugin/3.1.0/exec-maven-plugin-3.1.0.jar libexec-maven-plugin-java"
    "composer composer" "php-zip php-zip" "nuget nuget"
)

# The prerequisites Debian 12 has only in bookworm-backports (Go 1.23: the Go binding's tests
# run on Debian's Go 1.19 and on a Go with log/slog). .ci/run adds that suite to apt's sources
# when one of them is missing.
LTS_BACKPORTS=(golang-1.23-go)

# Prints an apt source for bookworm-backports made from the machine's own source of bookworm
# (its mirror and signing key), and the file to write it to; nothing when there is none.
lts_backports_source() {
    local f line stanza
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        stanza=""
        while IFS= read -r line || [ -n "$line" ]; do
            if [ -n "$line" ]; then stanza+="$line"$'\n'; continue; fi
            lts_bookworm_stanza "$stanza" && return
            stanza=""
        done <"$f"
        lts_bookworm_stanza "$stanza" && return
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        line=$(grep -Em1 '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm[[:space:]]' "$f") || continue
        echo "/etc/apt/sources.list.d/bookworm-backports.list"
        sed -E 's/[[:space:]]bookworm[[:space:]]/ bookworm-backports /' <<<"$line"
        return
    done
}

# A deb822 stanza listing the suite bookworm, as a bookworm-backports source (see above).
lts_bookworm_stanza() {
    grep -Eq '^Suites:(.*[[:space:]])?bookworm([[:space:]]|$)' <<<"$1" || return 1
    echo "/etc/apt/sources.list.d/bookworm-backports.sources"
    sed -E '/^#/d; s/^Suites:.*/Suites: bookworm-backports/' <<<"$1"
}

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
        elif [ "$check" = php-zip ]; then
            php -r 'exit(extension_loaded("zip") ? 0 : 1);' >/dev/null 2>&1 && continue
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
