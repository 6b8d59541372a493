"""LinkOut provider files: identity files, XML and Simple Text (.ft) resource files.

Reading them safely, checking them against the LinkOut DTD 1.16 and NCBI's provider
guide, converting .ft to XML, and previewing the URLs their rules make.
"""
