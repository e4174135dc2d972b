#!/usr/bin/env python3
"""Packs a NuGet package (.nupkg) the way `dotnet pack` lays it out, from a project file's
package properties, for machines without the .NET SDK:

  scripts/nupkg.py PROJECT.csproj --out DIR PATH_IN_PACKAGE=FILE...

The package's nuspec is made from the project's PackageId, Version, Authors, Description,
PackageLicenseExpression, PackageReadmeFile, PackageProjectUrl, RepositoryUrl, PackageTags and
TargetFramework (an empty dependency group for it: the library needs no other package). Each
PATH_IN_PACKAGE=FILE puts FILE at that path (lib/netstandard2.0/Lts.dll=..., README.md=...).
A .nupkg is an Open Packaging Conventions zip: beside the files it holds the nuspec at its root,
[Content_Types].xml (a content type for every extension, and one per file without one) and
_rels/.rels (naming the nuspec as the package's manifest). NuGet's core-properties part
(package/services/metadata/) is left out: NuGet's readers do not need it.

Prints the path of the package it wrote.
"""
import argparse
import hashlib
import os
import sys
import xml.etree.ElementTree as ET
import zipfile
from xml.sax.saxutils import escape

NUSPEC_NS = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"
# NuGet's names for the target frameworks a project file may name (the ones used here).
FRAMEWORKS = {"netstandard2.0": ".NETStandard2.0"}
# Every zip entry gets this time, so the same inputs give the same package.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def properties(project):
    props = {}
    for group in ET.parse(project).getroot().iter("PropertyGroup"):
        for prop in group:
            if prop.text and "Condition" not in prop.attrib:
                props[prop.tag] = prop.text.strip()
    return props


def nuspec(props):
    def need(key):
        if key not in props:
            sys.exit(f"nupkg.py: the project has no <{key}>")
        return escape(props[key])

    tfm = props.get("TargetFramework")
    if tfm not in FRAMEWORKS:
        sys.exit(f"nupkg.py: TargetFramework {tfm} is not one this script knows ({', '.join(FRAMEWORKS)})")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<package xmlns="{NUSPEC_NS}">',
        "  <metadata>",
        f"    <id>{need('PackageId')}</id>",
        f"    <version>{need('Version')}</version>",
        f"    <authors>{need('Authors')}</authors>",
        f"    <description>{need('Description')}</description>",
        f"    <license type=\"expression\">{need('PackageLicenseExpression')}</license>",
    ]
    if "PackageReadmeFile" in props:
        lines.append(f"    <readme>{need('PackageReadmeFile')}</readme>")
    if "PackageProjectUrl" in props:
        lines.append(f"    <projectUrl>{need('PackageProjectUrl')}</projectUrl>")
    if "PackageTags" in props:
        lines.append(f"    <tags>{need('PackageTags')}</tags>")
    if "RepositoryUrl" in props:
        lines.append(f"    <repository type=\"git\" url=\"{need('RepositoryUrl')}\" />")
    lines += [
        "    <dependencies>",
        f'      <group targetFramework="{FRAMEWORKS[tfm]}" />',
        "    </dependencies>",
        "  </metadata>",
        "</package>",
        "",
    ]
    return "\n".join(lines)


def content_types(parts):
    exts = sorted({os.path.splitext(p)[1][1:] for p in parts if os.path.splitext(p)[1]} | {"rels", "nuspec"})
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">']
    for ext in exts:
        kind = "application/vnd.openxmlformats-package.relationships+xml" if ext == "rels" else "application/octet"
        lines.append(f'  <Default Extension="{escape(ext)}" ContentType="{kind}" />')
    for p in sorted(p for p in parts if not os.path.splitext(p)[1]):
        lines.append(f'  <Override PartName="/{escape(p)}" ContentType="application/octet" />')
    lines += ["</Types>", ""]
    return "\n".join(lines)


def rels(manifest):
    rel_id = "R" + hashlib.sha256(manifest.encode()).hexdigest()[:16].upper()
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>',
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">',
        f'  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{manifest}" Id="{rel_id}" />',
        "</Relationships>",
        "",
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("project")
    ap.add_argument("--out", required=True)
    ap.add_argument("files", nargs="+", metavar="PATH_IN_PACKAGE=FILE")
    args = ap.parse_args()
    props = properties(args.project)
    files = {}
    for spec in args.files:
        target, sep, source = spec.partition("=")
        if not sep or not target or target.startswith("/") or not os.path.isfile(source):
            sys.exit(f"nupkg.py: {spec}: expected PATH_IN_PACKAGE=FILE, FILE a file")
        files[target] = source
    readme = props.get("PackageReadmeFile")
    if readme and readme not in files:
        sys.exit(f"nupkg.py: the project names {readme} as the readme, but it is not packed")
    manifest = props["PackageId"] + ".nuspec"
    path = os.path.join(args.out, f"{props['PackageId']}.{props['Version']}.nupkg")
    entries = [(manifest, nuspec(props).encode())]
    entries += [(target, open(source, "rb").read()) for target, source in sorted(files.items())]
    entries.append(("[Content_Types].xml", content_types([t for t, _ in entries]).encode()))
    entries.append(("_rels/.rels", rels(manifest).encode()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    print(path)


if __name__ == "__main__":
    main()
