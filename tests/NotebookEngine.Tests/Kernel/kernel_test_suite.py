"""Jupyter's own kernel test suite (jupyter_kernel_test) run against the csnb kernel, with C# samples
for every test the suite has.

Usage: CSNB_KERNEL_NAME=name /usr/bin/python3 -m unittest -v kernel_test_suite   (JUPYTER_PATH naming the kernelspec)
"""
import os
import unittest

import jupyter_kernel_test


class CsnbKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ["CSNB_KERNEL_NAME"]
    language_name = "csharp"
    file_extension = ".cs"

    code_hello_world = 'Console.WriteLine("hello, world");'
    code_stderr = 'Console.Error.WriteLine("to stderr");'

    completion_samples = [
        {"text": "Console.WriteL", "matches": {"WriteLine"}},
        {"text": "Math.Sq", "matches": {"Sqrt"}},
        {"text": "var numbers = new List<int>(); numbers.AddR", "matches": {"AddRange"}},
    ]
    complete_code_samples = ["1 + 1", "var x = 1;", "for (var i = 0; i < 3; i++) { }", "Console.WriteLine(\"a\")"]
    incomplete_code_samples = ["for (var i = 0; i < 3; i++) {", "var text = @\"open", "Math.Max(1,"]
    invalid_code_samples = ["}", "var x = 1; }"]

    code_page_something = "Math.Sqrt?"
    code_generate_error = 'throw new InvalidOperationException("boom");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "new[] { 1, 2, 3 }.Sum()", "result": "6"},
        {"code": '"text".ToUpperInvariant()', "result": "TEXT"},
    ]
    code_display_data = [
        {"code": 'display(HTML("<b>bold</b>"));', "mime": "text/html"},
        {"code": "display(1.5);", "mime": "text/plain"},
    ]

    code_history_pattern = "6 [*]*"  # glob: "6 * 7" and nothing else
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Console.WriteLine"
    code_clear_output = 'Console.WriteLine("before"); clear_output();'


if __name__ == "__main__":
    unittest.main()
