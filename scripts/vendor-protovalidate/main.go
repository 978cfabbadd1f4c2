// Command vendor-protovalidate writes buf/validate/validate.proto, the
// protovalidate rule options the contract imports, from the descriptor that
// the pinned buf.build/gen/go protovalidate module (the one
// buf.build/go/protovalidate uses) carries. Generated repos cannot reach the
// Buf Schema Registry, so the file is vendored into templates/proto; deriving
// it from the Go module keeps its field numbers those of the Go runtime.
// The module's descriptor has no comments, so the file has none but the
// license notice. Run `npm run gen:protovalidate`, then buf format.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	validate "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/jhump/protoreflect/desc"
	"github.com/jhump/protoreflect/desc/protoprint"
)

const header = `// Copyright 2023-2026 Buf Technologies, Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Vendored from protovalidate (module %s):
// third-party, excluded from buf lint and from code generation; do not edit.

`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vendor-protovalidate OUT.proto")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "vendor-protovalidate:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	fd, err := desc.WrapFile(validate.File_buf_validate_validate_proto)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, header, module()); err != nil {
		return err
	}
	return (&protoprint.Printer{}).PrintProtoFile(fd, f)
}

// module names the gen module and the version this binary was built with.
func module() string {
	const path = "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == path {
				return path + "@" + dep.Version
			}
		}
	}
	return path
}
