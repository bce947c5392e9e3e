import { NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import {
  fetchSetChoices,
  projectKeys,
  TEST_LIMITS,
  type RegistrationTest,
  type TestFields,
  type Transport,
} from './projects.api.ts';

/** What the test form holds while a person edits it (numbers may be half-typed). */
export interface TestFormState {
  name: string;
  credentialSet: { id: number; name: string } | null;
  mode: 'dns' | 'proxy';
  proxy: string;
  transport: Transport;
  entriesToTry: number | string;
  timeoutSeconds: number | string;
}

export function initialTestForm(test?: RegistrationTest): TestFormState {
  return {
    name: test?.name ?? '',
    credentialSet: test?.credential_set ? { id: test.credential_set.id, name: test.credential_set.name } : null,
    mode: test?.registrar.mode ?? 'dns',
    proxy: test?.registrar.mode === 'proxy' ? test.registrar.proxy : '',
    transport: test?.transport ?? 'udp',
    entriesToTry: test?.entries_to_try ?? 1,
    timeoutSeconds: test?.timeout_seconds ?? 5,
  };
}

/** The body the API takes; the server checks every value and answers with a sentence when one is wrong. */
export function testFieldsOf(form: TestFormState): TestFields {
  return {
    name: form.name,
    credential_set_id: form.credentialSet?.id ?? null,
    registrar: form.mode === 'proxy' ? { mode: 'proxy', proxy: form.proxy.trim() } : { mode: 'dns' },
    transport: form.transport,
    entries_to_try: Number(form.entriesToTry),
    timeout_seconds: Number(form.timeoutSeconds),
  };
}

/**
 * The fields of a registration test: its name, the credential set it uses, how the registrar is
 * reached (the entry's domain by DNS, or an explicit proxy), the transport and how many entries to try.
 */
export function TestFormFields({
  value,
  onChange,
  autoFocus,
}: {
  value: TestFormState;
  onChange: (next: TestFormState) => void;
  autoFocus?: boolean;
}) {
  const set = (change: Partial<TestFormState>) => onChange({ ...value, ...change });
  const modeLabelId = useId();
  const transportLabelId = useId();
  return (
    <Stack gap="md">
      <TextInput
        label="Test name"
        required
        value={value.name}
        onChange={(e) => set({ name: e.currentTarget.value })}
        maxLength={200}
        data-autofocus={autoFocus || undefined}
        autoComplete="off"
      />
      <CredentialSetPicker value={value.credentialSet} onChange={(credentialSet) => set({ credentialSet })} />

      <Stack gap={4}>
        <Text size="sm" fw={500} id={modeLabelId}>
          Registrar
        </Text>
        <SegmentedControl
          aria-labelledby={modeLabelId}
          value={value.mode}
          onChange={(mode) => set({ mode: mode as 'dns' | 'proxy' })}
          data={[
            { value: 'dns', label: 'Entry’s domain (DNS)' },
            { value: 'proxy', label: 'Explicit proxy' },
          ]}
          w="fit-content"
        />
        <Text size="xs" c="dimmed">
          {value.mode === 'dns'
            ? 'Each entry registers with its own domain, found through DNS as RFC 3263 says (SRV records, then A/AAAA).'
            : 'Every entry registers through this proxy, whatever its domain; the domain is still used in the request.'}
        </Text>
      </Stack>
      {value.mode === 'proxy' && (
        <TextInput
          label="Proxy"
          description="host:port, e.g. sip.example.com:5060 or [2001:db8::1]:5060"
          required
          value={value.proxy}
          onChange={(e) => set({ proxy: e.currentTarget.value })}
          maxLength={300}
          autoComplete="off"
          spellCheck={false}
        />
      )}

      <Stack gap={4}>
        <Text size="sm" fw={500} id={transportLabelId}>
          Transport
        </Text>
        <SegmentedControl
          aria-labelledby={transportLabelId}
          value={value.transport}
          onChange={(transport) => set({ transport: transport as Transport })}
          data={[
            { value: 'udp', label: 'UDP' },
            { value: 'tcp', label: 'TCP' },
          ]}
          w="fit-content"
        />
      </Stack>

      <SimpleGrid cols={{ base: 1, xs: 2 }}>
        <NumberInput
          label="Entries to try"
          description={`The first entries of the set, ${TEST_LIMITS.entriesToTry.min}–${TEST_LIMITS.entriesToTry.max}`}
          value={value.entriesToTry}
          onChange={(entriesToTry) => set({ entriesToTry })}
          min={TEST_LIMITS.entriesToTry.min}
          max={TEST_LIMITS.entriesToTry.max}
          allowDecimal={false}
          allowNegative={false}
        />
        <NumberInput
          label="Timeout (seconds)"
          description="How long to wait for each answer"
          value={value.timeoutSeconds}
          onChange={(timeoutSeconds) => set({ timeoutSeconds })}
          min={TEST_LIMITS.timeoutSeconds.min}
          max={TEST_LIMITS.timeoutSeconds.max}
          allowDecimal={false}
          allowNegative={false}
        />
      </SimpleGrid>
    </Stack>
  );
}

/** The account's credential sets, searched by name on the server (an account may have many). */
function CredentialSetPicker({
  value,
  onChange,
}: {
  value: { id: number; name: string } | null;
  onChange: (set: { id: number; name: string } | null) => void;
}) {
  const [search, setSearch] = useState(value?.name ?? '');
  // While the box shows the chosen set's name, list every set; typing something else searches.
  const typed = search !== (value?.name ?? '') ? search : '';
  const [q] = useDebouncedValue(typed, 250);
  const choices = useQuery({
    queryKey: projectKeys.setChoices(q),
    queryFn: () => fetchSetChoices(q),
    placeholderData: keepPreviousData,
  });
  const options = (choices.data ?? []).map((s) => ({
    value: s.id,
    label: s.name,
    entries: s.entry_count,
  }));
  if (value && !options.some((o) => o.value === value.id))
    options.unshift({ value: value.id, label: value.name, entries: -1 });
  const counts = new Map(options.map((o) => [o.value, o.entries]));

  return (
    <Select<number>
      label="Credential set"
      description="The test registers entries of this set. Sets are kept under SIP Credentials."
      placeholder="Choose a credential set"
      data={options.map(({ value: v, label }) => ({ value: v, label }))}
      value={value?.id ?? null}
      onChange={(id, option) => {
        onChange(id === null ? null : { id, name: option.label });
        setSearch(id === null ? '' : option.label);
      }}
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      nothingFoundMessage={choices.isFetching ? 'Searching…' : 'No credential set has that name'}
      clearable
      renderOption={({ option }) => {
        const n = counts.get(option.value) ?? -1;
        return (
          <span>
            {option.label}
            {n >= 0 && (
              <Text span size="xs" c="dimmed">
                {' '}
                · {n} {n === 1 ? 'entry' : 'entries'}
              </Text>
            )}
          </span>
        );
      }}
    />
  );
}
