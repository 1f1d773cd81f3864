<?xml version="1.0" encoding="UTF-8"?>
<!--
  Opis: OAI-PMH 2.0 responses as readable HTML pages.

  Every response from /oai names this file in <?xml-stylesheet?>, so a person who opens
  /oai?verb=... in a browser gets a page, while harvesters get the same XML and ignore it.
  Browsers run XSLT 1.0 only, so this stays in plain XSLT 1.0 and XPath 1.0: no EXSLT, no
  XSLT 2.0 functions, no disable-output-escaping (Firefox ignores it), no document().
  The page loads nothing from anywhere: no fonts, scripts, images or external CSS.

  Every link is built from the text of <request> (the base URL), as the protocol gives it.
  Written for Opis; licensed with the rest of the project.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:oai="http://www.openarchives.org/OAI/2.0/"
    xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:oai-id="http://www.openarchives.org/OAI/2.0/oai-identifier"
    xmlns:marc="http://www.loc.gov/MARC21/slim"
    xmlns:mods="http://www.loc.gov/mods/v3"
    exclude-result-prefixes="oai oai_dc dc oai-id marc mods">

  <xsl:output method="html" encoding="UTF-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <!-- ================================================================ globals -->

  <!-- The base URL of the endpoint; every link is relative to it. -->
  <xsl:variable name="base" select="normalize-space(/oai:OAI-PMH/oai:request)"/>
  <xsl:variable name="request" select="/oai:OAI-PMH/oai:request"/>
  <xsl:variable name="errors" select="/oai:OAI-PMH/oai:error"/>
  <!-- The verb element of a successful response (Identify, ListRecords, ...). -->
  <xsl:variable name="response"
      select="/oai:OAI-PMH/*[not(self::oai:responseDate or self::oai:request
                                 or self::oai:error)][1]"/>
  <xsl:variable name="verb">
    <xsl:choose>
      <xsl:when test="$response"><xsl:value-of select="local-name($response)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$request/@verb"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!-- The repository's name on the Identify page; elsewhere the protocol's name. -->
  <xsl:variable name="site-name">
    <xsl:variable name="name"
        select="normalize-space($response[self::oai:Identify]/oai:repositoryName)"/>
    <xsl:choose>
      <xsl:when test="$name != ''"><xsl:value-of select="$name"/></xsl:when>
      <xsl:otherwise>OAI-PMH</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:variable name="page-title">
    <xsl:choose>
      <xsl:when test="count($errors) &gt; 1">Errors</xsl:when>
      <xsl:when test="$errors">Error</xsl:when>
      <xsl:when test="$response"><xsl:value-of select="$verb"/></xsl:when>
      <xsl:otherwise>Not an OAI-PMH response</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!--
    Percent-encoding for query values. XSLT 1.0 has no URL-encoding function, so the
    "url-escape" template below encodes the ASCII characters that would change the meaning
    of a query string (% & + # = ; space " < >). Identifiers and set specs go through it.
    Characters beyond ASCII are left to the browser, which encodes them as UTF-8 (the
    page's encoding) when the link is followed.
    $url-codes holds the two hex digits of each character of $url-unsafe, in order.
  -->
  <xsl:variable name="url-unsafe" select="'%&amp;+#=; &quot;&lt;&gt;'"/>
  <xsl:variable name="url-codes" select="'25262B233D3B20223C3E'"/>

  <!-- ================================================================ page -->

  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>
          <xsl:value-of select="$page-title"/>
          <xsl:text> · </xsl:text>
          <xsl:value-of select="$site-name"/>
        </title>
        <xsl:call-template name="style"/>
      </head>
      <body>
        <header class="site">
          <h1><xsl:value-of select="$site-name"/></h1>
          <nav aria-label="OAI-PMH requests">
            <ul>
              <xsl:call-template name="nav-item">
                <xsl:with-param name="for" select="'Identify'"/>
                <xsl:with-param name="query" select="'?verb=Identify'"/>
                <xsl:with-param name="label" select="'Identify'"/>
              </xsl:call-template>
              <xsl:call-template name="nav-item">
                <xsl:with-param name="for" select="'ListMetadataFormats'"/>
                <xsl:with-param name="query" select="'?verb=ListMetadataFormats'"/>
                <xsl:with-param name="label" select="'ListMetadataFormats'"/>
              </xsl:call-template>
              <xsl:call-template name="nav-item">
                <xsl:with-param name="for" select="'ListSets'"/>
                <xsl:with-param name="query" select="'?verb=ListSets'"/>
                <xsl:with-param name="label" select="'ListSets'"/>
              </xsl:call-template>
              <xsl:call-template name="nav-item">
                <xsl:with-param name="for" select="'ListIdentifiers'"/>
                <xsl:with-param name="query"
                    select="'?verb=ListIdentifiers&amp;metadataPrefix=oai_dc'"/>
                <xsl:with-param name="label" select="'ListIdentifiers (oai_dc)'"/>
              </xsl:call-template>
              <xsl:call-template name="nav-item">
                <xsl:with-param name="for" select="'ListRecords'"/>
                <xsl:with-param name="query"
                    select="'?verb=ListRecords&amp;metadataPrefix=oai_dc'"/>
                <xsl:with-param name="label" select="'ListRecords (oai_dc)'"/>
              </xsl:call-template>
            </ul>
          </nav>
        </header>
        <main>
          <h2><xsl:value-of select="$page-title"/></h2>
          <xsl:call-template name="response-meta"/>
          <xsl:choose>
            <xsl:when test="not(/oai:OAI-PMH)">
              <p>This document is not an OAI-PMH 2.0 response, so there is nothing to show.</p>
            </xsl:when>
            <xsl:when test="$errors">
              <xsl:call-template name="errors"/>
            </xsl:when>
            <xsl:otherwise>
              <xsl:apply-templates select="$response"/>
            </xsl:otherwise>
          </xsl:choose>
        </main>
        <footer class="site">
          <p>
            This page is the repository's OAI-PMH 2.0 response, shown through a stylesheet.
            Harvesters receive the same XML from the same address.
          </p>
        </footer>
      </body>
    </html>
  </xsl:template>

  <xsl:template name="nav-item">
    <xsl:param name="for"/>
    <xsl:param name="query"/>
    <xsl:param name="label"/>
    <li>
      <a href="{$base}{$query}">
        <xsl:if test="$request/@verb = $for">
          <xsl:attribute name="aria-current">page</xsl:attribute>
        </xsl:if>
        <xsl:value-of select="$label"/>
      </a>
    </li>
  </xsl:template>

  <!-- Response date and the request, at the top of every page. -->
  <xsl:template name="response-meta">
    <dl class="meta">
      <div>
        <dt>Response date</dt>
        <dd>
          <xsl:call-template name="time">
            <xsl:with-param name="value" select="/oai:OAI-PMH/oai:responseDate"/>
          </xsl:call-template>
        </dd>
      </div>
      <div>
        <dt>Request</dt>
        <dd><code class="wrap"><xsl:call-template name="request-url"/></code></dd>
      </div>
    </dl>
  </xsl:template>

  <!-- The request as a URL: base, then verb, then the other echoed arguments. -->
  <xsl:template name="request-url">
    <xsl:value-of select="$base"/>
    <xsl:for-each select="$request/@verb">
      <xsl:text>?verb=</xsl:text>
      <xsl:value-of select="."/>
    </xsl:for-each>
    <xsl:for-each select="$request/@*[local-name() != 'verb']">
      <xsl:choose>
        <xsl:when test="position() = 1 and not($request/@verb)">?</xsl:when>
        <xsl:otherwise>&amp;</xsl:otherwise>
      </xsl:choose>
      <xsl:value-of select="local-name()"/>
      <xsl:text>=</xsl:text>
      <xsl:value-of select="."/>
    </xsl:for-each>
  </xsl:template>

  <!-- ================================================================ Identify -->

  <xsl:template match="oai:Identify">
    <div class="scroll">
      <table class="fields">
        <caption>About this repository</caption>
        <tbody>
          <tr>
            <th scope="row">Repository name</th>
            <td><xsl:value-of select="oai:repositoryName"/></td>
          </tr>
          <tr>
            <th scope="row">Base URL</th>
            <td>
              <xsl:call-template name="value">
                <xsl:with-param name="v" select="normalize-space(oai:baseURL)"/>
              </xsl:call-template>
            </td>
          </tr>
          <tr>
            <th scope="row">Protocol version</th>
            <td><xsl:value-of select="oai:protocolVersion"/></td>
          </tr>
          <tr>
            <th scope="row">Administrator e-mail</th>
            <td>
              <xsl:for-each select="oai:adminEmail">
                <xsl:if test="position() &gt; 1">, </xsl:if>
                <a href="mailto:{normalize-space(.)}"><xsl:value-of select="normalize-space(.)"/></a>
              </xsl:for-each>
            </td>
          </tr>
          <tr>
            <th scope="row">Earliest datestamp</th>
            <td>
              <xsl:call-template name="time">
                <xsl:with-param name="value" select="oai:earliestDatestamp"/>
              </xsl:call-template>
            </td>
          </tr>
          <tr>
            <th scope="row">Deleted records</th>
            <td>
              <code><xsl:value-of select="oai:deletedRecord"/></code>
              <xsl:variable name="policy" select="normalize-space(oai:deletedRecord)"/>
              <xsl:choose>
                <xsl:when test="$policy = 'persistent'">
                  <xsl:text>: deleted records stay listed, marked as deleted, for good.</xsl:text>
                </xsl:when>
                <xsl:when test="$policy = 'transient'">
                  <xsl:text>: deleted records are listed, marked as deleted, for a while only.</xsl:text>
                </xsl:when>
                <xsl:when test="$policy = 'no'">
                  <xsl:text>: deleted records simply disappear from the lists.</xsl:text>
                </xsl:when>
              </xsl:choose>
            </td>
          </tr>
          <tr>
            <th scope="row">Granularity</th>
            <td><code><xsl:value-of select="oai:granularity"/></code></td>
          </tr>
          <tr>
            <th scope="row">Compression</th>
            <td>
              <xsl:for-each select="oai:compression">
                <xsl:if test="position() &gt; 1">, </xsl:if>
                <code><xsl:value-of select="."/></code>
              </xsl:for-each>
              <xsl:if test="not(oai:compression)">none</xsl:if>
            </td>
          </tr>
        </tbody>
      </table>
    </div>
    <xsl:apply-templates select="oai:description/*" mode="description"/>
  </xsl:template>

  <xsl:template match="oai-id:oai-identifier" mode="description">
    <section>
      <h3>Identifiers</h3>
      <div class="scroll">
        <table class="fields">
          <tbody>
            <tr>
              <th scope="row">Scheme</th>
              <td><code><xsl:value-of select="oai-id:scheme"/></code></td>
            </tr>
            <tr>
              <th scope="row">Repository identifier</th>
              <td><code><xsl:value-of select="oai-id:repositoryIdentifier"/></code></td>
            </tr>
            <tr>
              <th scope="row">Delimiter</th>
              <td><code><xsl:value-of select="oai-id:delimiter"/></code></td>
            </tr>
            <tr>
              <th scope="row">Sample identifier</th>
              <td>
                <xsl:variable name="sample" select="normalize-space(oai-id:sampleIdentifier)"/>
                <a class="wrap">
                  <xsl:attribute name="href">
                    <xsl:call-template name="get-record-url">
                      <xsl:with-param name="identifier" select="$sample"/>
                      <xsl:with-param name="prefix" select="'oai_dc'"/>
                    </xsl:call-template>
                  </xsl:attribute>
                  <xsl:value-of select="$sample"/>
                </a>
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  </xsl:template>

  <!-- Any other description (friends, branding, ...): shown as it is. -->
  <xsl:template match="*" mode="description">
    <section>
      <h3>Description: <xsl:value-of select="local-name()"/></h3>
      <xsl:call-template name="tree"/>
    </section>
  </xsl:template>

  <!-- ================================================================ ListMetadataFormats -->

  <xsl:template match="oai:ListMetadataFormats">
    <xsl:variable name="identifier" select="normalize-space($request/@identifier)"/>
    <xsl:if test="$identifier != ''">
      <p>Formats in which the record <code class="wrap"><xsl:value-of select="$identifier"/></code>
        is available.</p>
    </xsl:if>
    <div class="scroll">
      <table>
        <caption>Metadata formats (each prefix lists the records in it)</caption>
        <thead>
          <tr>
            <th scope="col">Prefix</th>
            <th scope="col">Schema</th>
            <th scope="col">Namespace</th>
            <xsl:if test="$identifier != ''"><th scope="col">This record</th></xsl:if>
          </tr>
        </thead>
        <tbody>
          <xsl:for-each select="oai:metadataFormat">
            <xsl:variable name="prefix" select="normalize-space(oai:metadataPrefix)"/>
            <tr>
              <th scope="row">
                <a href="{$base}?verb=ListRecords&amp;metadataPrefix={$prefix}">
                  <xsl:value-of select="$prefix"/>
                </a>
              </th>
              <td class="wrap">
                <xsl:call-template name="value">
                  <xsl:with-param name="v" select="normalize-space(oai:schema)"/>
                </xsl:call-template>
              </td>
              <td class="wrap"><code><xsl:value-of select="oai:metadataNamespace"/></code></td>
              <xsl:if test="$identifier != ''">
                <td>
                  <a>
                    <xsl:attribute name="href">
                      <xsl:call-template name="get-record-url">
                        <xsl:with-param name="identifier" select="$identifier"/>
                        <xsl:with-param name="prefix" select="$prefix"/>
                      </xsl:call-template>
                    </xsl:attribute>
                    <xsl:text>GetRecord</xsl:text>
                  </a>
                </td>
              </xsl:if>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </div>
  </xsl:template>

  <!-- ================================================================ ListSets -->

  <xsl:template match="oai:ListSets">
    <xsl:call-template name="list-summary">
      <xsl:with-param name="count" select="count(oai:set)"/>
      <xsl:with-param name="one" select="'set'"/>
      <xsl:with-param name="many" select="'sets'"/>
    </xsl:call-template>
    <div class="scroll">
      <table>
        <caption>Sets (each set spec lists the identifiers in it, in oai_dc)</caption>
        <thead>
          <tr>
            <th scope="col">Set spec</th>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          <xsl:for-each select="oai:set">
            <tr>
              <th scope="row">
                <xsl:call-template name="set-link">
                  <xsl:with-param name="spec" select="normalize-space(oai:setSpec)"/>
                </xsl:call-template>
              </th>
              <td><xsl:value-of select="oai:setName"/></td>
              <td>
                <xsl:for-each select="oai:setDescription/oai_dc:dc/dc:description">
                  <p>
                    <xsl:call-template name="lang"/>
                    <xsl:value-of select="normalize-space(.)"/>
                  </p>
                </xsl:for-each>
                <xsl:for-each select="oai:setDescription/*[not(self::oai_dc:dc)]">
                  <xsl:call-template name="tree"/>
                </xsl:for-each>
              </td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </div>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <!-- ================================================================ records -->

  <xsl:template match="oai:GetRecord">
    <xsl:apply-templates select="oai:record"/>
  </xsl:template>

  <xsl:template match="oai:ListRecords">
    <xsl:call-template name="list-summary">
      <xsl:with-param name="count" select="count(oai:record)"/>
      <xsl:with-param name="one" select="'record'"/>
      <xsl:with-param name="many" select="'records'"/>
    </xsl:call-template>
    <xsl:apply-templates select="oai:record"/>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <xsl:template match="oai:ListIdentifiers">
    <xsl:call-template name="list-summary">
      <xsl:with-param name="count" select="count(oai:header)"/>
      <xsl:with-param name="one" select="'record header'"/>
      <xsl:with-param name="many" select="'record headers'"/>
    </xsl:call-template>
    <xsl:apply-templates select="oai:header"/>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <!-- One record (GetRecord, ListRecords) or one bare header (ListIdentifiers). -->
  <xsl:template match="oai:record | oai:ListIdentifiers/oai:header">
    <xsl:variable name="header" select="self::oai:header | oai:header"/>
    <xsl:variable name="identifier" select="normalize-space($header/oai:identifier)"/>
    <xsl:variable name="deleted" select="$header/@status = 'deleted'"/>
    <article>
      <xsl:attribute name="class">
        <xsl:text>record</xsl:text>
        <xsl:if test="$deleted"> deleted</xsl:if>
      </xsl:attribute>
      <h3>
        <span class="wrap"><xsl:value-of select="$identifier"/></span>
        <xsl:if test="$deleted">
          <xsl:text> </xsl:text>
          <strong class="badge">Deleted</strong>
        </xsl:if>
      </h3>
      <xsl:if test="$deleted">
        <p class="deleted-note">
          <strong>This record has been deleted.</strong>
          Only its header remains, so harvesters can remove their copy.
        </p>
      </xsl:if>
      <div class="scroll">
        <table class="fields">
          <tbody>
            <tr>
              <th scope="row">Identifier</th>
              <td><code class="wrap"><xsl:value-of select="$identifier"/></code></td>
            </tr>
            <tr>
              <th scope="row">Datestamp</th>
              <td>
                <xsl:call-template name="time">
                  <xsl:with-param name="value" select="$header/oai:datestamp"/>
                </xsl:call-template>
              </td>
            </tr>
            <tr>
              <th scope="row">Status</th>
              <td>
                <xsl:choose>
                  <xsl:when test="$deleted"><strong class="status-deleted">deleted</strong></xsl:when>
                  <xsl:otherwise>available</xsl:otherwise>
                </xsl:choose>
              </td>
            </tr>
            <tr>
              <th scope="row">Sets</th>
              <td>
                <xsl:choose>
                  <xsl:when test="$header/oai:setSpec">
                    <ul class="inline">
                      <xsl:for-each select="$header/oai:setSpec">
                        <li>
                          <xsl:call-template name="set-link">
                            <xsl:with-param name="spec" select="normalize-space(.)"/>
                          </xsl:call-template>
                        </li>
                      </xsl:for-each>
                    </ul>
                  </xsl:when>
                  <xsl:otherwise>none</xsl:otherwise>
                </xsl:choose>
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <p class="links">
        <xsl:text>GetRecord in </xsl:text>
        <xsl:call-template name="get-record-link">
          <xsl:with-param name="identifier" select="$identifier"/>
          <xsl:with-param name="prefix" select="'oai_dc'"/>
        </xsl:call-template>
        <xsl:text>, </xsl:text>
        <xsl:call-template name="get-record-link">
          <xsl:with-param name="identifier" select="$identifier"/>
          <xsl:with-param name="prefix" select="'marc21'"/>
        </xsl:call-template>
        <xsl:text>, </xsl:text>
        <xsl:call-template name="get-record-link">
          <xsl:with-param name="identifier" select="$identifier"/>
          <xsl:with-param name="prefix" select="'mods'"/>
        </xsl:call-template>
        <xsl:text> · </xsl:text>
        <a>
          <xsl:attribute name="href">
            <xsl:value-of select="$base"/>
            <xsl:text>?verb=ListMetadataFormats&amp;identifier=</xsl:text>
            <xsl:call-template name="url-escape">
              <xsl:with-param name="s" select="$identifier"/>
            </xsl:call-template>
          </xsl:attribute>
          <xsl:text>ListMetadataFormats</xsl:text>
        </a>
      </p>
      <xsl:for-each select="oai:metadata/*">
        <section class="metadata">
          <h4>
            <xsl:text>Metadata (</xsl:text>
            <xsl:call-template name="format-name"/>
            <xsl:text>)</xsl:text>
          </h4>
          <xsl:apply-templates select="." mode="metadata"/>
        </section>
      </xsl:for-each>
      <xsl:for-each select="oai:about/*">
        <section class="about">
          <h4>About: <xsl:value-of select="local-name()"/></h4>
          <xsl:call-template name="tree"/>
        </section>
      </xsl:for-each>
    </article>
  </xsl:template>

  <!-- The format's prefix, told by the metadata's namespace (token pages echo none). -->
  <xsl:template name="format-name">
    <xsl:choose>
      <xsl:when test="self::oai_dc:dc">oai_dc</xsl:when>
      <xsl:when test="self::marc:record or self::marc:collection">marc21</xsl:when>
      <xsl:when test="self::mods:mods or self::mods:modsCollection">mods</xsl:when>
      <xsl:otherwise><xsl:value-of select="local-name()"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- oai_dc: a definition list, the element name as the label; repeats share a label. -->
  <xsl:template match="oai_dc:dc" mode="metadata">
    <dl class="dc">
      <xsl:for-each select="*">
        <xsl:if test="not(preceding-sibling::*[1][local-name() = local-name(current())
                      and namespace-uri() = namespace-uri(current())])">
          <dt><xsl:value-of select="local-name()"/></dt>
        </xsl:if>
        <dd>
          <xsl:call-template name="lang"/>
          <xsl:call-template name="value"/>
        </dd>
      </xsl:for-each>
    </dl>
  </xsl:template>

  <!-- MARC 21 slim: one row per field, tag / indicators / subfields. -->
  <xsl:template match="marc:collection" mode="metadata">
    <xsl:apply-templates select="marc:record" mode="metadata"/>
  </xsl:template>

  <xsl:template match="marc:record" mode="metadata">
    <div class="scroll">
      <table class="marc">
        <caption>MARC 21 fields</caption>
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col"><abbr title="Indicator 1">Ind 1</abbr></th>
            <th scope="col"><abbr title="Indicator 2">Ind 2</abbr></th>
            <th scope="col">Subfields</th>
          </tr>
        </thead>
        <tbody>
          <xsl:for-each select="marc:leader">
            <tr>
              <th scope="row">LDR</th>
              <td></td>
              <td></td>
              <td><code class="fixed"><xsl:value-of select="."/></code></td>
            </tr>
          </xsl:for-each>
          <xsl:for-each select="marc:controlfield">
            <tr>
              <th scope="row"><xsl:value-of select="@tag"/></th>
              <td></td>
              <td></td>
              <td><code class="fixed"><xsl:value-of select="."/></code></td>
            </tr>
          </xsl:for-each>
          <xsl:for-each select="marc:datafield">
            <tr>
              <th scope="row"><xsl:value-of select="@tag"/></th>
              <td class="ind">
                <xsl:call-template name="indicator">
                  <xsl:with-param name="value" select="@ind1"/>
                </xsl:call-template>
              </td>
              <td class="ind">
                <xsl:call-template name="indicator">
                  <xsl:with-param name="value" select="@ind2"/>
                </xsl:call-template>
              </td>
              <td>
                <xsl:for-each select="marc:subfield">
                  <span class="subfield">
                    <span class="code">
                      <xsl:text>$</xsl:text>
                      <xsl:value-of select="@code"/>
                    </span>
                    <xsl:text> </xsl:text>
                    <xsl:call-template name="value"/>
                  </span>
                  <xsl:text> </xsl:text>
                </xsl:for-each>
              </td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </div>
  </xsl:template>

  <!-- A blank indicator shows as "#", as the MARC documentation writes it. -->
  <xsl:template name="indicator">
    <xsl:param name="value"/>
    <xsl:choose>
      <xsl:when test="normalize-space($value) = ''">
        <span aria-hidden="true">#</span>
        <span class="vh">blank</span>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$value"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- MODS and anything else: the element tree with names, attributes and text. -->
  <xsl:template match="*" mode="metadata">
    <xsl:call-template name="tree"/>
  </xsl:template>

  <!-- ================================================================ resumption -->

  <!-- "Showing 101–200 of 523 records", or "3 records" for a list in one response. -->
  <xsl:template name="list-summary">
    <xsl:param name="count"/>
    <xsl:param name="one"/>
    <xsl:param name="many"/>
    <xsl:variable name="token" select="oai:resumptionToken"/>
    <xsl:variable name="noun">
      <xsl:choose>
        <xsl:when test="$count = 1 and not($token/@completeListSize &gt; 1)">
          <xsl:value-of select="$one"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$many"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <p class="summary">
      <xsl:choose>
        <xsl:when test="$token and $count &gt; 0 and string(number($token/@cursor)) != 'NaN'">
          <xsl:text>Showing </xsl:text>
          <xsl:value-of select="$token/@cursor + 1"/>
          <xsl:if test="$count &gt; 1">
            <xsl:text>–</xsl:text>
            <xsl:value-of select="$token/@cursor + $count"/>
          </xsl:if>
          <xsl:if test="$token/@completeListSize">
            <xsl:text> of </xsl:text>
            <xsl:value-of select="$token/@completeListSize"/>
          </xsl:if>
          <xsl:text> </xsl:text>
          <xsl:value-of select="$noun"/>
          <xsl:text>.</xsl:text>
        </xsl:when>
        <xsl:otherwise>
          <xsl:value-of select="$count"/>
          <xsl:text> </xsl:text>
          <xsl:value-of select="$noun"/>
          <xsl:text>.</xsl:text>
        </xsl:otherwise>
      </xsl:choose>
    </p>
  </xsl:template>

  <xsl:template match="oai:resumptionToken">
    <xsl:variable name="token" select="normalize-space(.)"/>
    <section class="pager" aria-labelledby="pager-heading">
      <h3 id="pager-heading">
        <xsl:choose>
          <xsl:when test="$token != ''">More results</xsl:when>
          <xsl:otherwise>End of the list</xsl:otherwise>
        </xsl:choose>
      </h3>
      <dl class="meta">
        <xsl:if test="@cursor">
          <div>
            <dt>Cursor</dt>
            <dd><xsl:value-of select="@cursor"/></dd>
          </div>
        </xsl:if>
        <xsl:if test="@completeListSize">
          <div>
            <dt>Complete list size</dt>
            <dd><xsl:value-of select="@completeListSize"/></dd>
          </div>
        </xsl:if>
        <xsl:if test="@expirationDate">
          <div>
            <dt>Token expires</dt>
            <dd>
              <xsl:call-template name="time">
                <xsl:with-param name="value" select="@expirationDate"/>
              </xsl:call-template>
            </dd>
          </div>
        </xsl:if>
        <xsl:if test="$token != ''">
          <div>
            <dt>Resumption token</dt>
            <dd><code class="wrap"><xsl:value-of select="$token"/></code></dd>
          </div>
        </xsl:if>
      </dl>
      <xsl:choose>
        <xsl:when test="$token != ''">
          <!--
            The token goes into the URL unencoded, by plain concatenation: XSLT 1.0 has no
            URL-encoding function, and Opis tokens (repository/oai/tokens.py) are base64url
            text plus ".", so they use only A-Za-z0-9-_. and need no percent-encoding.
          -->
          <p>
            <a class="next" rel="next"
               href="{$base}?verb={local-name(..)}&amp;resumptionToken={$token}">Next page</a>
          </p>
        </xsl:when>
        <xsl:otherwise>
          <p>This is the last page of the list.</p>
        </xsl:otherwise>
      </xsl:choose>
    </section>
  </xsl:template>

  <!-- ================================================================ errors -->

  <xsl:template name="errors">
    <xsl:for-each select="$errors">
      <section class="error">
        <h3>
          <code><xsl:value-of select="@code"/></code>
        </h3>
        <p class="message"><xsl:value-of select="."/></p>
        <xsl:variable name="meaning">
          <xsl:call-template name="error-meaning">
            <xsl:with-param name="code" select="@code"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:if test="string($meaning) != ''">
          <p class="hint"><xsl:value-of select="$meaning"/></p>
        </xsl:if>
      </section>
    </xsl:for-each>
    <section>
      <h3>Request echoed</h3>
      <xsl:choose>
        <xsl:when test="$request/@*">
          <div class="scroll">
            <table class="fields">
              <caption>Arguments as the repository received them</caption>
              <tbody>
                <xsl:for-each select="$request/@verb">
                  <tr>
                    <th scope="row">verb</th>
                    <td><code class="wrap"><xsl:value-of select="."/></code></td>
                  </tr>
                </xsl:for-each>
                <xsl:for-each select="$request/@*[local-name() != 'verb']">
                  <tr>
                    <th scope="row"><xsl:value-of select="local-name()"/></th>
                    <td><code class="wrap"><xsl:value-of select="."/></code></td>
                  </tr>
                </xsl:for-each>
              </tbody>
            </table>
          </div>
        </xsl:when>
        <xsl:otherwise>
          <p>
            No arguments are echoed: the protocol leaves them out when the verb or an
            argument was not valid. The base URL was
            <code class="wrap"><xsl:value-of select="$base"/></code>.
          </p>
        </xsl:otherwise>
      </xsl:choose>
    </section>
  </xsl:template>

  <!-- What each OAI-PMH error code means, in plain words. -->
  <xsl:template name="error-meaning">
    <xsl:param name="code"/>
    <xsl:choose>
      <xsl:when test="$code = 'badArgument'">The request has an illegal or missing argument, or an argument given twice.</xsl:when>
      <xsl:when test="$code = 'badResumptionToken'">The resumption token is not valid or has expired; start the list again.</xsl:when>
      <xsl:when test="$code = 'badVerb'">The verb is missing, repeated or not one of the six OAI-PMH verbs.</xsl:when>
      <xsl:when test="$code = 'cannotDisseminateFormat'">The repository does not offer this metadata format (for this record).</xsl:when>
      <xsl:when test="$code = 'idDoesNotExist'">No record has this identifier.</xsl:when>
      <xsl:when test="$code = 'noRecordsMatch'">No records match the request (its dates, set and format).</xsl:when>
      <xsl:when test="$code = 'noMetadataFormats'">This record has no metadata formats.</xsl:when>
      <xsl:when test="$code = 'noSetHierarchy'">The repository has no sets.</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ================================================================ helpers -->

  <xsl:template name="get-record-url">
    <xsl:param name="identifier"/>
    <xsl:param name="prefix"/>
    <xsl:value-of select="$base"/>
    <xsl:text>?verb=GetRecord&amp;metadataPrefix=</xsl:text>
    <xsl:value-of select="$prefix"/>
    <xsl:text>&amp;identifier=</xsl:text>
    <xsl:call-template name="url-escape">
      <xsl:with-param name="s" select="$identifier"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="get-record-link">
    <xsl:param name="identifier"/>
    <xsl:param name="prefix"/>
    <a>
      <xsl:attribute name="href">
        <xsl:call-template name="get-record-url">
          <xsl:with-param name="identifier" select="$identifier"/>
          <xsl:with-param name="prefix" select="$prefix"/>
        </xsl:call-template>
      </xsl:attribute>
      <xsl:value-of select="$prefix"/>
    </a>
  </xsl:template>

  <!-- A set spec linking to the identifiers in that set (oai_dc). -->
  <xsl:template name="set-link">
    <xsl:param name="spec"/>
    <a class="wrap">
      <xsl:attribute name="href">
        <xsl:value-of select="$base"/>
        <xsl:text>?verb=ListIdentifiers&amp;metadataPrefix=oai_dc&amp;set=</xsl:text>
        <xsl:call-template name="url-escape">
          <xsl:with-param name="s" select="$spec"/>
        </xsl:call-template>
      </xsl:attribute>
      <xsl:value-of select="$spec"/>
    </a>
  </xsl:template>

  <!-- Percent-encodes the characters of $url-unsafe in $s (see the note at the top). -->
  <xsl:template name="url-escape">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="translate($s, $url-unsafe, '') = $s">
        <xsl:value-of select="$s"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="c" select="substring($s, 1, 1)"/>
        <xsl:choose>
          <xsl:when test="contains($url-unsafe, $c)">
            <xsl:text>%</xsl:text>
            <xsl:value-of select="substring($url-codes,
                2 * string-length(substring-before($url-unsafe, $c)) + 1, 2)"/>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="$c"/></xsl:otherwise>
        </xsl:choose>
        <xsl:call-template name="url-escape">
          <xsl:with-param name="s" select="substring($s, 2)"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    A value as text, or as a link when the whole value is one http(s) URL. Only http and
    https become links: a value such as "javascript:..." stays text.
  -->
  <xsl:template name="value">
    <xsl:param name="v" select="normalize-space(.)"/>
    <xsl:choose>
      <xsl:when test="(starts-with($v, 'http://') or starts-with($v, 'https://'))
                      and not(contains($v, ' '))">
        <a class="wrap" href="{$v}"><xsl:value-of select="$v"/></a>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$v"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The lang attribute from the nearest xml:lang, so text is read in its language. -->
  <xsl:template name="lang">
    <xsl:variable name="lang" select="ancestor-or-self::*[@xml:lang][1]/@xml:lang"/>
    <xsl:if test="normalize-space($lang) != ''">
      <xsl:attribute name="lang"><xsl:value-of select="normalize-space($lang)"/></xsl:attribute>
    </xsl:if>
  </xsl:template>

  <xsl:template name="time">
    <xsl:param name="value"/>
    <time datetime="{normalize-space($value)}"><xsl:value-of select="normalize-space($value)"/></time>
  </xsl:template>

  <!-- Generic rendering: nested list of element names, attributes and text. -->
  <xsl:template name="tree">
    <ul class="tree">
      <xsl:apply-templates select="." mode="tree"/>
    </ul>
  </xsl:template>

  <xsl:template match="*" mode="tree">
    <li>
      <span class="el"><xsl:value-of select="local-name()"/></span>
      <xsl:for-each select="@*[namespace-uri() != 'http://www.w3.org/2001/XMLSchema-instance']">
        <xsl:text> </xsl:text>
        <span class="attr">
          <xsl:value-of select="name()"/>
          <xsl:text>="</xsl:text>
          <xsl:value-of select="."/>
          <xsl:text>"</xsl:text>
        </span>
      </xsl:for-each>
      <xsl:variable name="text">
        <xsl:for-each select="text()">
          <xsl:value-of select="."/>
          <xsl:text> </xsl:text>
        </xsl:for-each>
      </xsl:variable>
      <xsl:if test="normalize-space($text) != ''">
        <xsl:text> </xsl:text>
        <span class="text">
          <xsl:call-template name="lang"/>
          <xsl:call-template name="value">
            <xsl:with-param name="v" select="normalize-space($text)"/>
          </xsl:call-template>
        </span>
      </xsl:if>
      <xsl:if test="*">
        <ul>
          <xsl:apply-templates select="*" mode="tree"/>
        </ul>
      </xsl:if>
    </li>
  </xsl:template>

  <!-- ================================================================ style -->

  <xsl:template name="style">
    <style>
:root {
  color-scheme: light dark;
  --fg: #1b1b1b; --bg: #ffffff; --muted: #555555; --line: #d4d4d4; --soft: #f4f4f4;
  --link: #0b57a4; --bad: #a4000f; --bad-bg: #fdecec;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6e6e6; --bg: #151515; --muted: #b0b0b0; --line: #3c3c3c; --soft: #222222;
    --link: #8cbcff; --bad: #ff9d9d; --bad-bg: #3a1719;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; color: var(--fg); background: var(--bg);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header.site, main, footer.site { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header.site { border-bottom: 1px solid var(--line); padding-bottom: .5rem; }
h1 { font-size: 1.5rem; margin: 1rem 0 .5rem; }
h2 { font-size: 1.3rem; margin: 1.25rem 0 .5rem; }
h3 { font-size: 1.1rem; margin: 1rem 0 .5rem; }
h4 { font-size: 1rem; margin: 1rem 0 .25rem; }
a { color: var(--link); }
a[aria-current] { font-weight: bold; color: inherit; }
nav ul, ul.inline { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
code, .fixed { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: .9em; }
.wrap { overflow-wrap: anywhere; }
.fixed { white-space: pre-wrap; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; width: 100%; }
caption { text-align: left; color: var(--muted); font-size: .9rem; padding-bottom: .25rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--soft); }
table.fields th[scope="row"] { width: 12rem; font-weight: 600; }
td p { margin: 0 0 .25rem; }
dl.meta { display: flex; flex-wrap: wrap; gap: .25rem 2rem; margin: .5rem 0; }
dl.meta dt { color: var(--muted); font-size: .85rem; }
dl.meta dd { margin: 0; }
dl.dc { display: grid; grid-template-columns: minmax(6rem, max-content) 1fr; gap: .2rem 1rem; margin: .5rem 0; }
dl.dc dt { grid-column: 1; font-weight: 600; }
dl.dc dd { grid-column: 2; margin: 0; overflow-wrap: anywhere; }
@media (max-width: 30rem) {
  dl.dc { display: block; }
  dl.dc dt { margin-top: .5rem; }
  dl.dc dd { margin-left: 1rem; }
  table.fields th[scope="row"] { width: auto; }
}
article.record { border: 1px solid var(--line); border-radius: .4rem; padding: 0 1rem .5rem; margin: 1rem 0; }
article.record.deleted { border-color: var(--bad); background: var(--bad-bg); }
.badge { display: inline-block; font-size: .8rem; padding: 0 .4rem; border-radius: .25rem; color: var(--bg); background: var(--bad); vertical-align: middle; }
.status-deleted, .deleted-note strong { color: var(--bad); }
.summary, .hint, footer.site { color: var(--muted); }
footer.site { border-top: 1px solid var(--line); margin-top: 2rem; font-size: .9rem; }
.subfield { display: inline; margin-right: .5rem; }
.subfield .code { font-weight: bold; font-family: ui-monospace, Menlo, Consolas, monospace; }
td.ind { text-align: center; font-family: ui-monospace, Menlo, Consolas, monospace; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1rem; border-left: 1px solid var(--line); }
ul.tree { padding-left: .5rem; }
.el { font-weight: 600; }
.attr { color: var(--muted); font-size: .9em; }
.text { overflow-wrap: anywhere; }
section.error { border-left: .3rem solid var(--bad); background: var(--bad-bg); padding: .25rem 1rem; margin: 1rem 0; }
a.next { font-weight: bold; font-size: 1.1rem; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    </style>
  </xsl:template>

</xsl:stylesheet>
