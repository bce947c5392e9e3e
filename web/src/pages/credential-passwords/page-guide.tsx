import { Anchor, Code, List, Paper, Stack, Table, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { CSV_HEADER } from './failed-rows-csv.ts';
import { IMPORT_ROW_LIMIT } from './credential-passwords.api.ts';

/** How import treats the ids in a file, as the product page puts it. */
export function ImportRulesGuide() {
  return (
    <Stack gap="sm" component="section" aria-labelledby="import-rules-title">
      <Title order={3} id="import-rules-title">
        What import does
      </Title>
      <Table.ScrollContainer minWidth={420}>
        <Table withTableBorder withColumnBorders verticalSpacing="xs" aria-labelledby="import-rules-title">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col" w="40%">
                IDs in CSV
              </Table.Th>
              <Table.Th scope="col">What import does</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            <Table.Tr>
              <Table.Td>
                Valid <Code>multi_credential_pool_id</Code> + <Code>entry_id</Code> in your account
              </Table.Td>
              <Table.Td>
                Updates that existing entry (all entry columns in the row: username, domain, display name, auth
                username, password, TOTP).
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>
                Valid <Code>multi_credential_pool_id</Code>, blank or unknown <Code>entry_id</Code>
              </Table.Td>
              <Table.Td>Adds a new entry to that credential set.</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>
                Blank or invalid <Code>multi_credential_pool_id</Code>
              </Table.Td>
              <Table.Td>
                Creates a new credential set (and adds the entry). Rows with blank or the same invalid pool id are
                grouped into one new set.
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>Invalid pool/entry ids</Table.Td>
              <Table.Td>Treated like missing ids: creates a new set or entry instead of updating.</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <List size="sm" spacing={4}>
        <List.Item>
          <strong>Import never deletes.</strong> Credentials not listed in your file are left unchanged. To delete, use{' '}
          <Anchor component={Link} to="/sip-credentials">
            SIP Credentials
          </Anchor>
          .
        </List.Item>
        <List.Item>
          For password rotation, keep <Code>multi_credential_pool_id</Code> and <Code>entry_id</Code> exactly as in the
          file Sipfront sent you or as exported. Clear them only to create new credentials.
        </List.Item>
        <List.Item>
          Every row needs a non-empty <Code>auth_password</Code>. On update, an empty <Code>totp_secret</Code> removes
          any existing TOTP secret of that entry.
        </List.Item>
        <List.Item>
          The first row must be the header, with exactly these eight columns in this order:{' '}
          <Code>{CSV_HEADER.join(',')}</Code>. Save as CSV (UTF-8).
        </List.Item>
        <List.Item>Up to {IMPORT_ROW_LIMIT.toLocaleString('en')} data rows per import.</List.Item>
        <List.Item>New credential sets count toward your plan limit on credential sets.</List.Item>
      </List>
    </Stack>
  );
}

/** The box that says where to go for what this page does not do. */
export function NotOnThisPage() {
  const sipCredentials = (
    <Anchor component={Link} to="/sip-credentials">
      SIP Credentials
    </Anchor>
  );
  const projects = (
    <Anchor component={Link} to="/projects">
      Projects
    </Anchor>
  );
  return (
    <Paper withBorder p="md" bg="gray.0" component="aside" aria-labelledby="not-on-this-page-title">
      <Stack gap="xs">
        <Title order={3} size="h4" id="not-on-this-page-title">
          What this page does not do
        </Title>
        <Table verticalSpacing={4} aria-labelledby="not-on-this-page-title">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Not on this page</Table.Th>
              <Table.Th scope="col">Where instead</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            <Table.Tr>
              <Table.Td>Rename credential sets, edit tags, or delete sets/entries</Table.Td>
              <Table.Td>{sipCredentials} in the main menu</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>Change which credentials a test uses</Table.Td>
              <Table.Td>{projects} → edit the test configuration</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>Run tests or verify registration</Table.Td>
              <Table.Td>{projects} → run tests</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td>Delete credentials by omitting them from an import file</Table.Td>
              <Table.Td>{sipCredentials}: import never deletes missing rows</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Stack>
    </Paper>
  );
}
